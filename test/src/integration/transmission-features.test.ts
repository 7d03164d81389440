import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Transmission } from '@ctrl/transmission';
import { engine, xmpp, type TorrentStatus } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  startApi,
  startService,
  startTestEngine,
  torrentPort,
  transmissionRemote,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

/*
 * What Transmission clients use, for real (issue 22): two nodes (engine + api on their own
 * nats-server each; the test plays the gateway with xmpp.peers), driven with Debian's
 * transmission-remote 3.00 and @ctrl/transmission (the library behind the *arr apps' kin).
 * Alice shares a file; Bob downloads it from her.
 */

const TOKEN = 'transmission-features-token';
const SIZE = 3 * 1024 * 1024 + 12_345;

interface Node extends TestEngine {
  url: string;
  client: Transmission;
}

describe('Transmission features against two bitween nodes', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: Node;
  let bob: Node;
  let hash: string;

  async function startNode(id: string): Promise<Node> {
    const e = await startTestEngine(cleanup, { root, id, label: `trf-${id}` });
    const api = await startApi(cleanup, {
      label: `trf-${id}-api`,
      natsUrl: e.env['BITWEEN_NATS_URL']!,
      token: TOKEN,
    });
    return {
      ...e,
      url: `127.0.0.1:${api.port}`,
      client: new Transmission({ baseUrl: `${api.url}/`, username: 'x', password: TOKEN }),
    };
  }

  /** transmission-remote against `node`: stdout, or the error with what it printed. */
  const remote = (node: Node, ...args: string[]) => transmissionRemote(node.url, TOKEN, ...args);

  /** What transmission-remote prints for a refused call (it exits non-zero). */
  async function refused(node: Node, ...args: string[]): Promise<string> {
    const err = await remote(node, ...args).then(
      (out) => new Error(`expected a refusal, got: ${out}`),
      (e: Error) => e,
    );
    return err.message;
  }

  async function status(node: Node): Promise<TorrentStatus | undefined> {
    const r = await node.bus.request(engine.list, {}, { params: { engineId: node.id } });
    if (!r.ok) throw r.error;
    return r.value.torrents.find((t) => t.hash === hash);
  }

  const field = (out: string, name: string) =>
    new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, 'm').exec(out)?.[1]?.trim();

  beforeAll(async () => {
    root = await makeTempDir('transmission-features');
    cleanup.add('temp dir', () => removeTempDir(root));
    [alice, bob] = await Promise.all([startNode('alice'), startNode('bob')]);
    await writeRandomFile(join(root, 'alice', 'movie.bin'), SIZE);
    const r = await alice.bus.request(
      engine.addPath,
      { path: join(root, 'alice', 'movie.bin') },
      { timeoutMs: 60_000 },
    );
    if (!r.ok) throw r.error;
    hash = r.value.torrent.hash;
  });
  afterAll(() => cleanup.run());

  it('a share: friends-only (not public), its pieces, done and no bytes moved yet', async () => {
    const info = await remote(alice, '-t', hash, '-i');
    expect(field(info, 'Public torrent')).toBe('No');
    expect(field(info, 'Percent Done')).toBe('100%');
    const pieces = Number(field(info, 'Piece Count'));
    expect(pieces).toBeGreaterThan(1);
    expect(field(info, 'Piece Size')).toMatch(/KiB|MiB/);
    expect(field(info, 'Date finished')).toBeDefined();
    // -ic: the bitfield, every piece present.
    const bits = (await remote(alice, '-t', hash, '-ic')).replace(/[^01]/g, '');
    expect(bits).toBe('1'.repeat(pieces));
  });

  it('a seeding limit set per torrent (-sr) stops the share once a friend downloaded it (ratio 1)', async () => {
    expect(await remote(alice, '-t', hash, '-sr', '1')).toMatch(/success/);
    const [t] = (await alice.client.getTorrent(hash).then((x) => [x.raw])) as [Record<string, unknown>];
    expect(t).toMatchObject({ seedRatioMode: 1, seedRatioLimit: 1 });

    // Bob adds the magnet with its display name, then learns Alice's endpoint (the gateway's job).
    const added = await bob.client.addMagnet(`magnet:?xt=urn:btih:${hash}&dn=movie.bin`, {
      'download-dir': join(root, 'bob', 'downloads'),
    });
    expect(added.result).toBe('success');
    expect(added.arguments['torrent-added']).toMatchObject({ name: 'movie.bin', hashString: hash });
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: torrentPort(alice) }] }],
    });

    await waitFor(async () => (await status(bob))?.done === true, {
      what: "bob's download",
      timeoutMs: 120_000,
    });
    // Alice sent every byte once (ratio 1 of her own data): she stops seeding, "finished".
    const stopped = await waitFor(
      async () => {
        const s = await status(alice);
        return s?.state === 'paused' && s.finished ? s : null;
      },
      { what: 'alice to stop at her ratio limit', timeoutMs: 60_000 },
    );
    expect(stopped.uploadedEver).toBeGreaterThanOrEqual(SIZE);
    // Payload only: no handshakes or metadata counted, no duplicate piece sent twice.
    expect(stopped.uploadedEver).toBeLessThan(SIZE * 1.1);
    // The api's listing catches up (it is cached for a moment).
    await waitFor(
      async () => {
        const [t2] = (await alice.client.listTorrents(hash, ['isFinished', 'status'])).arguments.torrents as {
          isFinished: boolean;
          status: number;
        }[];
        return t2?.isFinished === true && t2.status === 0;
      },
      { what: 'alice’s api to report the torrent stopped and finished' },
    );
  });

  it("the download's numbers: payload only, nothing uploaded to a pure seed, completion date, 100 %, rates back to 0", async () => {
    // Idle rates are 0 (no keep-alive counted); seeding time accrues (the api's listing may be a
    // minute behind for counters that move without transfers: asked of the engine here).
    const info = await waitFor(
      async () => {
        const out = await remote(bob, '-t', hash, '-i');
        return /^0(\.0+)? kB\/s$/.test(field(out, 'Download Speed') ?? '') ? out : null;
      },
      { what: "bob's download rate back to 0", timeoutMs: 30_000 },
    );
    await waitFor(async () => ((await status(bob))?.secondsSeeding ?? 0) > 0, { what: 'bob’s seeding time' });
    expect(field(info, 'Percent Done')).toBe('100%');
    expect(field(info, 'Public torrent')).toBe('No');
    expect(field(info, 'Uploaded')).toMatch(/^None$|^0 /);
    expect(field(info, 'Date finished')).toBeDefined();
    const s = (await status(bob))!;
    expect(s.downloadedEver).toBeGreaterThanOrEqual(SIZE);
    expect(s.downloadedEver).toBeLessThan(SIZE * 1.1);
    expect(s.uploadedEver).toBe(0);
    expect(s.completedAt).toBeGreaterThan(s.addedAt - 1);
    const [t] = (await bob.client.listTorrents(hash, ['doneDate', 'secondsDownloading', 'isPrivate']))
      .arguments.torrents as unknown as Record<string, unknown>[];
    expect(t).toMatchObject({ isPrivate: true });
    expect(t!['doneDate']).toBeGreaterThan(0);
  });

  it('labels (-L) are stored and read back', async () => {
    expect(await remote(bob, '-t', hash, '-L', 'movies,hd')).toMatch(/success/);
    const t = (await bob.client.listTorrents(hash, ['labels'])).arguments.torrents as unknown as {
      labels: string[];
    }[];
    expect(t[0]!.labels).toEqual(['movies', 'hd']);
    expect(field(await remote(bob, '-t', hash, '-i'), 'Labels')).toBe('movies, hd');
  });

  it('REST: labels and seeding limits (PATCH options), verify and reannounce', async () => {
    const rest = (method: string, path: string, body?: unknown) =>
      fetch(`http://${bob.url}/v1/torrents/${hash}${path}`, {
        method,
        headers: { 'x-api-key': TOKEN, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const patched = await rest('PATCH', '/options', {
      labels: ['tv'],
      seedLimits: { idleMode: 'single', idleMinutes: 90 },
    });
    expect(patched.status).toBe(200);
    const { torrent } = (await patched.json()) as { torrent: TorrentStatus };
    expect(torrent).toMatchObject({ labels: ['tv'], seedLimits: { idleMode: 'single', idleMinutes: 90 } });
    expect((await rest('PATCH', '/options', { labels: ['a,b'] })).status).toBe(400);
    expect((await rest('POST', '/verify')).status).toBe(200);
    await waitFor(async () => (await status(bob))?.state === 'seeding', {
      what: 'seeding after the REST verify',
    });
    expect(await (await rest('POST', '/reannounce')).json()).toEqual({ dialled: 1 });
    // Back to what the Transmission tests below expect.
    expect((await rest('PATCH', '/options', { labels: ['movies', 'hd'] })).status).toBe(200);
  });

  it('verify (-v) re-hashes the data and finds it complete; @ctrl/transmission verify and reannounce', async () => {
    const checking = bob.process.waitForLog(
      (l) => l.msg === 'verifying the data on disk' && l.hash === hash,
      {
        what: 'the engine to verify',
      },
    );
    expect(await remote(bob, '-t', hash, '-v')).toMatch(/success/);
    await checking;
    await waitFor(async () => (await status(bob))?.state === 'seeding', {
      what: 'seeding again after verify',
    });
    expect((await status(bob))!.progress).toBe(1);
    expect((await bob.client.verifyTorrent(hash)).result).toBe('success');
    await waitFor(async () => (await status(bob))?.state === 'seeding', {
      what: 'seeding after the second verify',
    });
    expect((await bob.client.reannounceTorrent(hash)).result).toBe('success');
    await bob.process.waitForLog((l) => l.msg === 'reannounce: dialling known peers' && l.endpoints === 1, {
      what: 'the reannounce to dial alice',
    });
  });

  it('peers (-ip) while connected; free-space; session seeding limits (-gsr) read back', async () => {
    // Alice stopped at her limit; started by hand, she seeds without it (as Transmission).
    expect(await remote(alice, '-t', hash, '-s')).toMatch(/success/);
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: torrentPort(alice) }] }],
    });
    expect((await bob.client.reannounceTorrent(hash)).result).toBe('success');
    const peers = await waitFor(
      async () => {
        const out = await remote(bob, '-t', hash, '-ip');
        return /127\.0\.0\.1/.test(out) ? out : null;
      },
      { what: 'alice in bob’s peer list' },
    );
    expect(peers).toMatch(/WebTorrent/);
    expect((await status(alice))?.seedLimits?.ratioMode).toBe('unlimited');

    const space = await bob.client.freeSpace(join(root, 'bob', 'downloads'));
    expect(space.result).toBe('success');
    expect(space.arguments['size-bytes']).toBeGreaterThan(0);
    expect((await bob.client.freeSpace('/etc')).result).toMatch(/outside|not below|allowed/);

    expect(await remote(bob, '-gsr', '3')).toMatch(/success/);
    expect(await remote(bob, '-si')).toMatch(/seed ratio limit: 3/i);
  });

  it('alternative speed limits (-as/-asd/-asu, the schedule) reach the engine', async () => {
    const on = bob.process.waitForLog(
      (l) =>
        l.msg === 'alternative speed limits on' && l.downloadLimit === 100_000 && l.uploadLimit === 20_000,
      { what: "bob's engine to apply the alternative limits" },
    );
    expect(await remote(bob, '-asd', '100', '-asu', '20')).toMatch(/success/);
    expect(await remote(bob, '-as')).toMatch(/success/);
    await on;
    const off = bob.process.waitForLog((l) => l.msg === 'alternative speed limits off', {
      what: "bob's engine to drop the alternative limits",
    });
    expect(await remote(bob, '-AS')).toMatch(/success/);
    await off;
    expect(
      await remote(
        bob,
        '-asc',
        '--alt-speed-time-begin',
        '0130',
        '--alt-speed-time-end',
        '0745',
        '--alt-speed-days',
        '1-5',
      ),
    ).toMatch(/success/);
    const session = await bob.client.getSession();
    expect(session.arguments).toMatchObject({
      'alt-speed-enabled': false,
      'alt-speed-down': 100,
      'alt-speed-up': 20,
      'alt-speed-time-enabled': true,
      'alt-speed-time-begin': 90,
      'alt-speed-time-end': 465,
      'alt-speed-time-day': 0b0111110,
    });
    // A limit of 0 is refused (bitween has no "stop everything" limit).
    expect(await refused(bob, '-asd', '0')).toMatch(/alternative speed limit of 0/);
  });

  it('queue moves (@ctrl/transmission queueTop/queueBottom/queueUp) reorder the download queue', async () => {
    expect(
      (await bob.client.setSession({ 'download-queue-enabled': true, 'download-queue-size': 1 })).result,
    ).toBe('success');
    const magnets = [0, 1, 2].map(() => randomBytes(20).toString('hex'));
    for (const h of magnets) {
      const r = await bob.client.addMagnet(`magnet:?xt=urn:btih:${h}`, {
        'download-dir': join(root, 'bob', 'downloads'),
      });
      expect(r.result).toBe('success');
    }
    const states = async () => {
      const r = await bob.bus.request(engine.list, {}, { params: { engineId: bob.id } });
      if (!r.ok) throw r.error;
      return magnets.map((h) => r.value.torrents.find((t) => t.hash === h)?.state).join(',');
    };
    // One download slot: the first added runs (fetching metadata), the others wait.
    await waitFor(async () => (await states()) === 'metadata,queued,queued', {
      what: 'the queue in added order',
    });
    expect((await bob.client.queueTop(magnets[2]!)).result).toBe('success');
    await waitFor(async () => (await states()) === 'queued,queued,metadata', { what: 'the last one on top' });
    expect((await bob.client.queueBottom(magnets[2]!)).result).toBe('success');
    await waitFor(async () => (await states()) === 'metadata,queued,queued', {
      what: 'the last one at the bottom',
    });
    // Up one: past the second (the queue holds every torrent, as Transmission's).
    expect((await bob.client.queueUp(magnets[2]!)).result).toBe('success');
    const positions = async () => {
      const got = (await bob.client.listTorrents(undefined, ['queuePosition', 'hashString'])).arguments
        .torrents as unknown as { hashString: string; queuePosition: number }[];
      const at = new Map(got.map((t) => [t.hashString, t.queuePosition]));
      return magnets.map((h) => at.get(h)!);
    };
    await waitFor(
      async () => {
        const [a, b, c] = await positions();
        return a! < c! && c! < b!;
      },
      { what: 'queuePosition in the new order' },
    );
    // (Not transmission-remote -t h1,h2: it reads a hash that starts with digits as an id.)
    expect((await bob.client.removeTorrent(magnets, false)).result).toBe('success');
    expect((await bob.client.setSession({ 'download-queue-enabled': false })).result).toBe('success');
  });

  it('the bookkeeping survives an engine restart (byte counts, times, completion date, labels)', async () => {
    const before = (await status(bob))!;
    expect(await bob.process.stop()).toBe(0);
    bob.process = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'trf-bob-again',
      env: bob.env,
    });
    const after = await waitFor(
      async () => {
        const s = await status(bob);
        return s?.state === 'seeding' ? s : null;
      },
      { what: 'bob seeding again after the restart' },
    );
    expect(after).toMatchObject({
      downloadedEver: before.downloadedEver,
      uploadedEver: before.uploadedEver,
      completedAt: before.completedAt,
      labels: ['movies', 'hd'],
    });
    expect(after.secondsSeeding).toBeGreaterThanOrEqual(before.secondsSeeding!);
    expect(after.secondsDownloading).toBe(before.secondsDownloading);
  });

  it('what bitween cannot do is refused, never a silent success', async () => {
    expect(await refused(bob, '-e', '64')).toMatch(/Invalid argument: cache-size-mb/);
    expect(await refused(bob, '-p', '1234')).toMatch(/Invalid argument: peer-port/);
    expect(await refused(bob, '-w', '/elsewhere')).toMatch(/Invalid argument: download-dir/);
    expect(await refused(bob, '-o')).toMatch(/Invalid argument: dht-enabled/);
    expect(await refused(bob, '-t', hash, '-Bh')).toMatch(/Invalid argument: bandwidthPriority/);
    expect(await refused(bob, '-t', hash, '-td', '1')).toMatch(/Invalid argument: tracker/);
    // What is already so is accepted (nothing changes, nothing is claimed).
    expect(await remote(bob, '-O')).toMatch(/success/);
  });
});
