import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transmission } from '@ctrl/transmission';
import { engine, type TorrentStatus } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  downloadFrom,
  makeTempDir,
  removeTempDir,
  sha256File,
  startApi,
  startService,
  startTestEngine,
  torrentPort,
  transmissionRemote,
  waitFor,
  writeRandomFile,
  type Api,
  type TestEngine,
} from '../harness/index.js';

/*
 * Moving a torrent's data (Transmission's torrent-set-location, REST POST /v1/torrents/{hash}/move)
 * for real: an engine and the api as processes, driven with Debian's transmission-remote 3.00
 * (`--move`, `--find`) and @ctrl/transmission 7.4 (`moveTorrent`). The engine's share roots are a
 * folder on disk and one on /dev/shm (tmpfs): a move between them copies, checks and deletes.
 */

const TOKEN = 'transmission-move-test-token';
const SIZE = 2 * 1024 * 1024 + 4321;

const gone = (p: string) =>
  access(p).then(
    () => false,
    () => true,
  );

describe('moving data (set-location)', () => {
  const cleanup = new Cleanup();
  let root: string;
  let shm: string;
  let alice: TestEngine;
  let api: Api;
  let url: string;
  let client: Transmission;
  let hash: string;
  let digest: string;

  const remote = (...args: string[]) => transmissionRemote(url, TOKEN, ...args);

  async function status(e: TestEngine = alice): Promise<TorrentStatus | undefined> {
    const r = await e.bus.request(engine.list, {}, { params: { engineId: e.id } });
    if (!r.ok) throw r.error;
    return r.value.torrents.find((t) => t.hash === hash);
  }

  /**
   * The torrent seeds from `dir` again: its save path, verified complete, running. (A timeout
   * quotes what the engine said last: where the torrent was, in which state.)
   */
  async function seedingFrom(dir: string, what: string): Promise<TorrentStatus> {
    return waitFor(
      async () => {
        const s = await status();
        if (s?.savePath === dir && s.state === 'seeding' && s.progress === 1) return s;
        throw new Error(
          s
            ? `last seen ${s.state} at ${s.savePath}, progress ${s.progress}${s.error ? `, error: ${s.error}` : ''}`
            : 'not in the engine list',
        );
      },
      { what, timeoutMs: 60_000 },
    );
  }

  beforeAll(async () => {
    root = await makeTempDir('transmission-move');
    cleanup.add('temp dir', () => removeTempDir(root));
    shm = await mkdtemp(join('/dev/shm', 'bitween-move-'));
    cleanup.add('tmpfs dir', () => rm(shm, { recursive: true, force: true }));
    alice = await startTestEngine(cleanup, {
      root,
      id: 'alice',
      label: 'move-alice',
      extra: { BITWEEN_SHARE_ROOTS: `${join(root, 'alice')},${shm}` },
    });
    api = await startApi(cleanup, {
      label: 'move-api',
      natsUrl: alice.env['BITWEEN_NATS_URL']!,
      token: TOKEN,
    });
    url = `127.0.0.1:${api.port}`;
    client = new Transmission({ baseUrl: `${api.url}/`, username: 'x', password: TOKEN });
    const file = join(root, 'alice', 'shared', 'movie.bin');
    await mkdir(join(root, 'alice', 'shared'), { recursive: true });
    await writeRandomFile(file, SIZE);
    digest = await sha256File(file);
    const r = await alice.bus.request(engine.addPath, { path: file }, { timeoutMs: 60_000 });
    if (!r.ok) throw r.error;
    hash = r.value.torrent.hash;
  });
  afterAll(() => cleanup.run());

  it('transmission-remote --move: the file is renamed into the new folder and seeds from there', async () => {
    const to = join(root, 'alice', 'library', 'films');
    expect(await remote('-t', hash, '--move', to)).toMatch(/responded: "success"/);
    await seedingFrom(to, 'the share seeding from library/films');
    expect(await sha256File(join(to, 'movie.bin'))).toBe(digest);
    expect(await gone(join(root, 'alice', 'shared', 'movie.bin'))).toBe(true);
    // Transmission clients see the new folder.
    const [t] = (await client.listTorrents(hash, ['downloadDir', 'percentDone'])).arguments
      .torrents as unknown as { downloadDir: string; percentDone: number }[];
    expect(t).toEqual(expect.objectContaining({ downloadDir: to, percentDone: 1 }));
  });

  it('@ctrl/transmission moveTorrent to another file system: copied, checked, the source deleted', async () => {
    const from = join(root, 'alice', 'library', 'films');
    const to = join(shm, 'films');
    const res = await client.moveTorrent(hash, to);
    expect(res.result).toBe('success');
    await seedingFrom(to, 'the share seeding from /dev/shm');
    expect(await sha256File(join(to, 'movie.bin'))).toBe(digest);
    expect(await gone(join(from, 'movie.bin'))).toBe(true);
    // A friend downloads it from the new place: it really seeds.
    const bob = await startTestEngine(cleanup, { root, id: 'bob', label: 'move-bob' });
    await downloadFrom(bob, hash, torrentPort(alice), "bob's download of the moved share");
    expect(await sha256File(join(root, 'bob', 'downloads', 'movie.bin'))).toBe(digest);
  });

  it('refuses a folder outside the share roots, with the reason, and leaves the data alone', async () => {
    const outside = await makeTempDir('transmission-move-outside');
    cleanup.add('outside dir', () => removeTempDir(outside));
    const before = (await status())!.savePath;
    const out = await remote('-t', hash, '--move', outside).then(
      (o) => o,
      (err: Error) => err.message,
    );
    expect(out).toMatch(/outside the download dir and the share roots/);
    expect(out).not.toMatch(/"success"/);
    const res = await fetch(`${api.url}/v1/torrents/${hash}/move`, {
      method: 'POST',
      headers: { 'x-api-key': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ location: '/etc' }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /outside the download dir and the share roots/,
    );
    expect((await status())!.savePath).toBe(before);
    expect(await sha256File(join(before, 'movie.bin'))).toBe(digest);
  });

  it('REST move back, then --find (move: false) only changes where the data is looked for: verified there', async () => {
    const home = join(root, 'alice', 'shared');
    const moved = await api.rest.post<{ torrent: { hash: string } }>(`/v1/torrents/${hash}/move`, {
      location: home,
    });
    expect(moved.torrent.hash).toBe(hash);
    await seedingFrom(home, 'the share seeding from shared/ again');
    expect(await sha256File(join(home, 'movie.bin'))).toBe(digest);

    // A copy of the data elsewhere; --find points the torrent at it without moving anything.
    const copy = join(root, 'alice', 'copy');
    await mkdir(copy, { recursive: true });
    await writeFile(join(copy, 'movie.bin'), await readFile(join(home, 'movie.bin')));
    expect(await remote('-t', hash, '--find', copy)).toMatch(/responded: "success"/);
    await seedingFrom(copy, 'the share seeding from the copy');
    expect(await gone(join(home, 'movie.bin'))).toBe(false);
  });

  it("the api's /metrics has the engine process's own CPU and memory (per-service process metrics)", async () => {
    const text = await (await fetch(`${api.url}/metrics`, { headers: { 'x-api-key': TOKEN } })).text();
    const rss =
      /^bitween_process_resident_memory_bytes\{service="bitween-torrent-engine",instance="[^"]+"\} (\d+)/m.exec(
        text,
      );
    expect(Number(rss?.[1])).toBeGreaterThan(20 << 20);
    expect(text).toMatch(
      /^bitween_process_cpu_seconds_total\{service="bitween-torrent-engine",[^}]*mode="user"\} [0-9.]+/m,
    );
    expect(text).toMatch(/^bitween_process_resident_memory_bytes\{service="api",/m);
  });

  it('finishes a move that a stop interrupted when the engine starts again', async () => {
    const from = join(root, 'alice', 'copy');
    const to = join(root, 'alice', 'after-restart');
    // (Also: a friend's share added by hash keeps whose it is across the restart.)
    const friendsShare = 'f'.repeat(40);
    const added = await alice.bus.request(engine.addHash, {
      hash: friendsShare,
      friends: ['carol@example.org'],
    });
    if (!added.ok) throw added.error;
    expect(added.value.torrent.friends).toEqual(['carol@example.org']);
    await alice.process.stop();
    // As a crash leaves it: the move recorded, no file moved yet.
    const recordFile = join(root, 'alice', 'state', alice.id, `${hash}.json`);
    const record = JSON.parse(await readFile(recordFile, 'utf8')) as Record<string, unknown>;
    expect(record['savePath']).toBe(from);
    await writeFile(recordFile, JSON.stringify({ ...record, moving: { to, paused: false } }));
    alice = {
      ...alice,
      process: await startService(cleanup, { name: 'torrent-engine', label: 'move-alice-2', env: alice.env }),
    };
    await seedingFrom(to, 'the share seeding from where the interrupted move went');
    expect(await sha256File(join(to, 'movie.bin'))).toBe(digest);
    expect(await gone(join(from, 'movie.bin'))).toBe(true);
    const after = JSON.parse(await readFile(recordFile, 'utf8')) as Record<string, unknown>;
    expect(after).toMatchObject({ savePath: to });
    expect(after['moving']).toBeUndefined();
    const list = await alice.bus.request(engine.list, {}, { params: { engineId: alice.id } });
    if (!list.ok) throw list.error;
    expect(list.value.torrents.find((t) => t.hash === friendsShare)?.friends).toEqual(['carol@example.org']);
    expect((await status())?.friends).toEqual([]);
  });
});
