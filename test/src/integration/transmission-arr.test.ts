import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  startApi,
  startTestEngine,
  torrentPort,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

/*
 * Sonarr and Radarr as Transmission clients (issue 22). They are .NET programs that cannot run
 * here, so this test replays what their TransmissionProxy.cs and TransmissionBase.cs send and
 * decide, call for call (Sonarr main, 2026: src/NzbDrone.Core/Download/Clients/Transmission; Radarr
 * has the same proxy): the session-id handshake on a GET, the version check (a regex, then
 * System.Version ≥ 2.40; labels from 4.0), the output root `<download-dir>/<category>`, a grab
 * (torrent-add with download-dir, paused and the category as a label, then torrent-set seed limits
 * and queue-move-top), the activity poll (torrent-get with their field list, their status rules,
 * HasReachedSeedLimit), marking as imported (a label) and removal with the data. Two real nodes:
 * Alice shares an episode, Bob's api is the "download client" (the test plays the gateway with
 * xmpp.peers).
 */

const TOKEN = 'transmission-arr-token';
const SIZE = 2 * 1024 * 1024 + 4321;
const CATEGORY = 'tv-sonarr';
const IMPORTED = 'tv-imported';

/** TransmissionProxy.GetTorrentStatus's field list. */
const ARR_FIELDS = [
  'id',
  'hashString',
  'name',
  'downloadDir',
  'totalSize',
  'leftUntilDone',
  'isFinished',
  'eta',
  'status',
  'secondsDownloading',
  'secondsSeeding',
  'errorString',
  'uploadedEver',
  'downloadedEver',
  'seedRatioLimit',
  'seedRatioMode',
  'seedIdleLimit',
  'seedIdleMode',
  'fileCount',
  'file-count',
  'labels',
];

/** TransmissionTorrentStatus. */
const Status = { Stopped: 0, CheckWait: 1, Check: 2, Queued: 3, Downloading: 4, SeedingWait: 5, Seeding: 6 };

interface ArrTorrent {
  id: number;
  hashString: string;
  name: string;
  downloadDir: string;
  totalSize: number;
  leftUntilDone: number;
  isFinished: boolean;
  eta: number;
  status: number;
  secondsDownloading: number;
  secondsSeeding: number;
  errorString: string;
  uploadedEver: number;
  downloadedEver: number;
  seedRatioLimit: number;
  seedRatioMode: number;
  seedIdleLimit: number;
  seedIdleMode: number;
  'file-count'?: number;
  fileCount?: number;
  labels: string[];
}

/** TransmissionBase.GetItems: the item status Sonarr derives from one torrent. */
function itemStatus(t: ArrTorrent): string {
  if (t.errorString.trim() !== '') return 'Warning';
  if (t.totalSize === 0) return 'Queued';
  if (
    t.leftUntilDone === 0 &&
    (t.status === Status.Stopped || t.status === Status.Seeding || t.status === Status.SeedingWait)
  )
    return 'Completed';
  if (t.isFinished && t.status !== Status.Check && t.status !== Status.CheckWait) return 'Completed';
  if (t.status === Status.Queued) return 'Queued';
  return 'Downloading';
}

/** TransmissionBase.HasReachedSeedLimit with per-torrent limits (mode 1), as Sonarr sets them. */
function hasReachedSeedLimit(t: ArrTorrent): boolean {
  const ratio = t.downloadedEver <= 0 ? 0 : t.uploadedEver / t.downloadedEver;
  const stopped = t.status === Status.Stopped;
  if (t.seedRatioMode === 1 && stopped && ratio >= t.seedRatioLimit) return true;
  if (
    t.seedIdleMode === 1 &&
    (stopped || t.status === Status.Seeding) &&
    t.secondsSeeding > t.seedIdleLimit * 60
  )
    return true;
  return false;
}

/** Transmission.ValidateVersion / TransmissionBase.HasClientVersion. */
function clientVersion(raw: string): [number, number] {
  const picked = /(?<!\(|(\d|\.)+)(\d|\.)+(?!\)|(\d|\.)+)/.exec(raw)?.[0] ?? '';
  const [major, minor] = picked.split('.').map(Number);
  if (!Number.isInteger(major) || !Number.isInteger(minor))
    throw new Error(`Version.Parse("${picked}") throws`);
  return [major!, minor!];
}
const atLeast = ([major, minor]: [number, number], m: number, n: number) =>
  major > m || (major === m && minor >= n);

describe('Sonarr/Radarr (TransmissionProxy) against a bitween node', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let bob: TestEngine;
  let rpcUrl: string;
  let hash: string;
  let sessionId: string | null = null;

  /**
   * TransmissionProxy.ProcessRequest: Basic credentials, the session id from a GET answered 409
   * (AuthenticateClient), a POST; a 409 fetches a new id and retries once; any result other than
   * "success" is a TransmissionException.
   */
  async function arr(action: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const auth = `Basic ${Buffer.from(`sonarr:${TOKEN}`).toString('base64')}`;
    const authenticate = async () => {
      const r = await fetch(rpcUrl, { headers: { authorization: auth, accept: 'application/json' } });
      await r.body?.cancel();
      expect(r.status).toBe(409);
      sessionId = r.headers.get('x-transmission-session-id');
      expect(sessionId).toBeTruthy();
    };
    if (sessionId === null) await authenticate();
    const post = () =>
      fetch(rpcUrl, {
        method: 'POST',
        headers: {
          authorization: auth,
          accept: 'application/json',
          'content-type': 'application/json',
          'x-transmission-session-id': sessionId!,
        },
        body: JSON.stringify({ method: action, ...(args ? { arguments: args } : {}) }),
      });
    let res = await post();
    if (res.status === 409) {
      await res.body?.cancel();
      await authenticate();
      res = await post();
    }
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { result: string; arguments: Record<string, unknown> };
    if (answer.result !== 'success') throw new Error(`TransmissionException: ${answer.result}`);
    return answer.arguments;
  }

  const getTorrents = async (ids?: string[]) =>
    (await arr('torrent-get', { fields: ARR_FIELDS, ...(ids ? { ids } : {}) }))['torrents'] as ArrTorrent[];

  beforeAll(async () => {
    root = await makeTempDir('transmission-arr');
    cleanup.add('temp dir', () => removeTempDir(root));
    [alice, bob] = await Promise.all([
      startTestEngine(cleanup, { root, id: 'alice', label: 'arr-alice' }),
      startTestEngine(cleanup, { root, id: 'bob', label: 'arr-bob' }),
    ]);
    const api = await startApi(cleanup, {
      label: 'arr-bob-api',
      natsUrl: bob.env['BITWEEN_NATS_URL']!,
      token: TOKEN,
    });
    rpcUrl = `${api.url}/transmission/rpc`;
    await writeRandomFile(join(root, 'alice', 'Show.S01E01.mkv'), SIZE);
    const r = await alice.bus.request(
      engine.addPath,
      { path: join(root, 'alice', 'Show.S01E01.mkv') },
      { timeoutMs: 60_000 },
    );
    if (!r.ok) throw r.error;
    hash = r.value.torrent.hash;
  });
  afterAll(() => cleanup.run());

  it('Test: the handshake, a version that parses as ≥ 2.40 (and ≥ 4.0: labels), the torrent list', async () => {
    const { version } = (await arr('session-get')) as { version: string };
    const parsed = clientVersion(version);
    expect(atLeast(parsed, 2, 40)).toBe(true);
    expect(atLeast(parsed, 4, 0)).toBe(true);
    expect(version).toContain('bitween');
    expect(await getTorrents()).toEqual([]);
  });

  it('GetStatus: the output root is <download-dir>/<category>, below the engine’s download dir', async () => {
    const config = await arr('session-get');
    expect(config['download-dir']).toBe(bob.env['BITWEEN_DOWNLOAD_DIR']);
  });

  it('a grab: torrent-add (download-dir, paused, label), seed limits, queue-move-top; the activity poll until imported', async () => {
    // GetDownloadDirectory with a category and no directory: `<download-dir>/<category>`.
    const destDir = `${String((await arr('session-get'))['download-dir']).replace(/\/+$/, '')}/${CATEGORY}`;
    const added = await arr('torrent-add', {
      filename: `magnet:?xt=urn:btih:${hash}&dn=Show.S01E01.mkv`,
      paused: false,
      'download-dir': destDir,
      labels: [CATEGORY],
    });
    expect(added['torrent-added']).toMatchObject({ hashString: hash, name: 'Show.S01E01.mkv' });
    // The release's seed configuration: ratio 0 (stop once complete), 60 minutes of seeding.
    await arr('torrent-set', {
      ids: [hash],
      seedRatioLimit: 0,
      seedRatioMode: 1,
      seedIdleLimit: 60,
      seedIdleMode: 1,
    });
    await arr('queue-move-top', { ids: [hash] });
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: torrentPort(alice) }] }],
    });

    // The activity poll: the item is this category's (its label), then Completed and removable.
    const done = await waitFor(
      async () => {
        const t = (await getTorrents()).find((x) => x.hashString === hash);
        return t && itemStatus(t) === 'Completed' && hasReachedSeedLimit(t) ? t : null;
      },
      { what: 'Sonarr to see the download completed and its seed limit reached', timeoutMs: 120_000 },
    );
    expect(done).toMatchObject({
      name: 'Show.S01E01.mkv',
      downloadDir: destDir,
      totalSize: SIZE,
      leftUntilDone: 0,
      isFinished: true,
      status: Status.Stopped,
      errorString: '',
      uploadedEver: 0,
      seedRatioLimit: 0,
      seedRatioMode: 1,
      seedIdleLimit: 60,
      seedIdleMode: 1,
      'file-count': 1,
      labels: [CATEGORY],
    });
    expect(done.downloadedEver).toBeGreaterThanOrEqual(SIZE);
    expect(done.downloadedEver).toBeLessThan(SIZE * 1.1);
    expect(done.secondsDownloading).toBeGreaterThanOrEqual(0);
    // The output path Sonarr imports from: downloadDir + name, Alice's bytes.
    const output = join(done.downloadDir, done.name);
    expect(await readFile(output)).toEqual(await readFile(join(root, 'alice', 'Show.S01E01.mkv')));

    // MarkItemAsImported: the imported category replaces the category.
    const [t] = await getTorrents([hash]);
    const labels = new Set(t!.labels);
    labels.add(IMPORTED);
    labels.delete(CATEGORY);
    await arr('torrent-set', { ids: [hash], labels: [...labels] });
    expect((await getTorrents([hash]))[0]!.labels).toEqual([IMPORTED]);
  });

  it('RemoveItem: torrent-remove with delete-local-data removes the torrent and its file', async () => {
    const [t] = await getTorrents([hash]);
    const output = join(t!.downloadDir, t!.name);
    await arr('torrent-remove', { ids: [hash.toLowerCase()], 'delete-local-data': true });
    await waitFor(async () => (await getTorrents()).length === 0, { what: 'the torrent gone from the list' });
    await waitFor(
      async () =>
        stat(output).then(
          () => false,
          () => true,
        ),
      { what: 'the downloaded file deleted' },
    );
  });
});
