import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp, type Endpoint, type TorrentStatus } from '@bitween/messages';
import { SettingsStore } from '@bitween/bus';
import { Server as TrackerServer } from 'bittorrent-tracker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  sha256File,
  silentLogger,
  startService,
  startTestEngine,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

const MB = 1_000_000;
const MiB = 1024 * 1024;

/** An engine of the test, with its settings bucket (global limits, queue). */
interface Side extends TestEngine {
  settings: SettingsStore;
}

/**
 * The controls of the engine (pause/resume, queue, file selection, limits, remove with data,
 * .torrent add, trackers, watch folder, events) with two real engines over loopback, each on
 * its own nats-server; the test plays the gateway (xmpp.peers).
 */
describe('torrent engine controls', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: Side;
  let bob: Side;
  let aliceEndpoints: Endpoint[];

  async function startEngine(id: string): Promise<Side> {
    await mkdir(join(root, id, 'watch'), { recursive: true });
    const started = await startTestEngine(cleanup, {
      root,
      id,
      label: `controls-${id}`,
      extra: {
        BITWEEN_WATCH_DIR: join(root, id, 'watch'),
        BITWEEN_WATCH_STABLE_MS: '300',
        BITWEEN_PROGRESS_INTERVAL_MS: '500',
      },
    });
    return { ...started, settings: await SettingsStore.open(started.bus.nc, silentLogger) };
  }

  async function list(side: Side): Promise<TorrentStatus[]> {
    const r = await side.bus.request(engine.list, {}, { params: { engineId: side.id } });
    if (!r.ok) throw r.error;
    return r.value.torrents;
  }

  async function status(side: Side, hash: string): Promise<TorrentStatus | undefined> {
    return (await list(side)).find((t) => t.hash === hash);
  }

  async function share(name: string, files: Record<string, number>, trackers?: string[]) {
    const dir = join(root, 'alice', name);
    const sums = new Map<string, string>();
    for (const [p, bytes] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      sums.set(p, await writeRandomFile(join(dir, p), bytes));
    }
    const r = await alice.bus.request(
      engine.addPath,
      { path: dir, ...(trackers ? { trackers } : {}) },
      { timeoutMs: 60_000 },
    );
    if (!r.ok) throw r.error;
    return { hash: r.value.torrent.hash, sums, torrent: r.value.torrent };
  }

  async function download(hash: string, opts: { peers?: boolean } = {}) {
    const r = await bob.bus.request(engine.addHash, { hash });
    if (!r.ok) throw r.error;
    if (opts.peers !== false) givePeers(hash);
    return r.value.torrent;
  }

  function givePeers(...hashes: string[]) {
    bob.bus.publish(xmpp.peers, { peers: hashes.map((hash) => ({ hash, endpoints: aliceEndpoints })) });
  }

  /** Global limits, through the side's settings bucket; resolves once its engine applied them. */
  async function setGlobalLimits(
    side: Side,
    limits: { downloadLimit?: number | null; uploadLimit?: number | null },
  ) {
    await side.settings.updateEngine(limits);
    const wanted = Object.entries(limits).map(([key, value]) => `"${key}":${value}`);
    await side.process.waitForLog(
      (l) =>
        l.msg === 'engine settings applied' && wanted.every((w) => JSON.stringify(l.settings).includes(w)),
      { what: `${side.id} to apply the global limits ${wanted.join(', ')}` },
    );
  }

  async function setLimits(
    side: Side,
    hash: string,
    limits: { downloadLimit?: number | null; uploadLimit?: number | null },
  ) {
    const r = await side.bus.request(
      engine.setLimits,
      { hash, ...limits },
      { params: { engineId: side.id } },
    );
    if (!r.ok) throw r.error;
    return r.value.torrent;
  }

  const done = (side: Side, hash: string, what: string) =>
    waitFor(
      async () => {
        const s = await status(side, hash);
        return s?.done && s.state === 'seeding' ? s : null;
      },
      { what, timeoutMs: 120_000 },
    );

  /**
   * Bytes per second bob receives for `hash` over a window of at least `windowMs`, as the bounds
   * the readings allow: each reading of the counter was taken somewhere between sending the status
   * request and its answer, which on a loaded machine can be far apart. `min` is the rate over the
   * longest window the readings may span, `max` over the shortest; a limiter that let too much
   * through has `min` above the limit, a transfer that stalled has `max` near 0.
   */
  async function measureRate(hash: string, windowMs: number): Promise<{ min: number; max: number }> {
    const reading = async () => {
      const asked = Date.now();
      const s = await status(bob, hash);
      return s ? { asked, answered: Date.now(), bytes: s.downloaded, done: s.done } : null;
    };
    const first = await waitFor(
      async () => {
        const r = await reading();
        return r && r.bytes > 0 ? r : null;
      },
      { what: `bytes of ${hash} to flow` },
    );
    const last = await waitFor(
      async () => (Date.now() - first.answered < windowMs ? null : await reading()),
      { what: 'the measuring window', intervalMs: 100 },
    );
    expect(last.done, 'the transfer finished inside the window: the file is too small to measure').toBe(
      false,
    );
    const bytes = last.bytes - first.bytes;
    return {
      min: (bytes * 1000) / (last.answered - first.asked),
      max: (bytes * 1000) / (last.asked - first.answered),
    };
  }

  /** The limiter's bound (see the tests) and a floor that shows bytes did flow. */
  function expectLimited(rate: { min: number; max: number }, what: string): void {
    console.info(`${what}: measured ${(rate.min / MB).toFixed(2)}-${(rate.max / MB).toFixed(2)} MB/s`);
    expect(rate.min).toBeLessThan(1.5 * MB);
    expect(rate.max).toBeGreaterThan(0.2 * MB);
  }

  beforeAll(async () => {
    root = await makeTempDir('controls');
    [alice, bob] = await Promise.all([startEngine('alice'), startEngine('bob')]);
    const live = await waitFor(
      async () => (await alice.registry.live()).find((e) => e.state.engineId === 'alice'),
      {
        what: "alice's registry entry",
      },
    );
    aliceEndpoints = live.state.endpoints;
  });
  afterAll(() => cleanup.run());

  it('limits a download per torrent, and bounds progress events', async () => {
    const { hash, sums } = await share('limit-down', { 'big.bin': 8 * MiB });
    const progress: { at: number; p: engine.TorrentProgress }[] = [];
    const sub = bob.bus.subscribe(engine.progress, (p) => {
      if (p.hash === hash) progress.push({ at: Date.now(), p });
    });
    cleanup.add('progress subscription', () => sub.unsubscribe());
    const started = Date.now();

    await download(hash, { peers: false });
    expect(await setLimits(bob, hash, { downloadLimit: MB })).toMatchObject({
      downloadLimit: MB,
      uploadLimit: null,
    });
    givePeers(hash);
    const limited = await measureRate(hash, 3000);
    await setLimits(bob, hash, { downloadLimit: null });
    await done(bob, hash, 'the download once unlimited');
    expect(await sha256File(join(root, 'bob', 'downloads', 'limit-down', 'big.bin'))).toBe(
      sums.get('big.bin'),
    );
    // The limiter allows rate × (window + 0.25 s burst) + one chunk: below 1.5 MB/s over 3 s.
    expectLimited(limited, 'per-torrent download limit 1 MB/s');

    // Progress: at most 2 events per second per torrent, with bytes, rates, peers and ETA.
    const seconds = (Date.now() - started) / 1000;
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(seconds * 2) + 2);
    expect(
      progress.some(({ p }) => p.downloadSpeed > 0 && p.peers > 0 && p.eta !== null && p.downloaded > 0),
    ).toBe(true);
    await waitFor(() => progress.at(-1)?.p.done, { what: 'a final progress event' });
    expect(progress.at(-1)?.p).toMatchObject({ done: true, state: 'seeding', eta: null });
  });

  it('limits an upload per torrent', async () => {
    const { hash, sums } = await share('limit-up', { 'big.bin': 8 * MiB });
    expect(await setLimits(alice, hash, { uploadLimit: MB })).toMatchObject({ uploadLimit: MB });
    await download(hash);
    const limited = await measureRate(hash, 3000);
    await setLimits(alice, hash, { uploadLimit: null });
    await done(bob, hash, 'the download once unlimited');
    expect(await sha256File(join(root, 'bob', 'downloads', 'limit-up', 'big.bin'))).toBe(sums.get('big.bin'));
    expectLimited(limited, 'per-torrent upload limit 1 MB/s');
  });

  it('applies the global limit from the settings bucket; unlimited is far faster', async () => {
    const { hash, sums } = await share('limit-global', { 'big.bin': 24 * MiB });
    await setGlobalLimits(bob, { downloadLimit: MB });
    await download(hash);
    const limited = await measureRate(hash, 4000);

    const before = (await status(bob, hash))!;
    const liftedAt = Date.now();
    await bob.settings.updateEngine({ downloadLimit: null });
    const finished = await done(bob, hash, 'the unlimited rest of the download');
    const unlimited = ((finished.size! - before.downloaded) * 1000) / (Date.now() - liftedAt);
    expect(await sha256File(join(root, 'bob', 'downloads', 'limit-global', 'big.bin'))).toBe(
      sums.get('big.bin'),
    );
    // The limiter allows rate × (window + 0.25 s burst) + one chunk: below 1.5 MB/s over 4 s.
    expectLimited(limited, 'global download limit 1 MB/s');
    console.info(`unlimited: ${(unlimited / MB).toFixed(1)} MB/s`);
    // Lifted: the rest came faster than the limiter lets through (the time counted includes the
    // settings change reaching the engine and the polling for the end, so this is a floor).
    expect(unlimited).toBeGreaterThan(1.5 * MB);
  });

  it('applies the global upload limit from the settings bucket', async () => {
    const { hash, sums } = await share('limit-global-up', { 'big.bin': 16 * MiB });
    await setGlobalLimits(alice, { uploadLimit: MB });
    await download(hash);
    const limited = await measureRate(hash, 4000);
    await alice.settings.updateEngine({ uploadLimit: null });
    await done(bob, hash, 'the download once alice uploads unlimited');
    expect(await sha256File(join(root, 'bob', 'downloads', 'limit-global-up', 'big.bin'))).toBe(
      sums.get('big.bin'),
    );
    expectLimited(limited, 'global upload limit 1 MB/s');
  });

  it('pauses a download for real (connections closed, none accepted or made, across a restart) and resumes it', async () => {
    const paused = await share('pausable', { 'data.bin': 16 * MiB });
    const control = await share('control', { 'c.bin': 1 * MiB + 7 });
    await download(paused.hash, { peers: false });
    await setLimits(bob, paused.hash, { downloadLimit: MB });
    givePeers(paused.hash);
    await waitFor(async () => ((await status(bob, paused.hash))?.downloaded ?? 0) > 0, {
      what: 'the download to start',
    });

    const r = await bob.bus.request(engine.pause, { hash: paused.hash }, { params: { engineId: 'bob' } });
    expect(r.ok && r.value.torrent).toMatchObject({ state: 'paused', downloadSpeed: 0, eta: null });
    // Both ends see the connection closed.
    await waitFor(async () => (await status(alice, paused.hash))?.peers === 0, {
      what: "alice's side to lose bob",
    });
    const stopped = (await status(bob, paused.hash))!;
    expect(stopped).toMatchObject({ state: 'paused', peers: 0 });

    // Peers offered again for both: the control torrent connects, the paused one does not.
    await download(control.hash, { peers: false });
    givePeers(paused.hash, control.hash);
    await done(bob, control.hash, 'the control download');
    expect(await status(alice, paused.hash)).toMatchObject({ peers: 0 });
    expect(await status(bob, paused.hash)).toMatchObject({
      state: 'paused',
      peers: 0,
      downloaded: stopped.downloaded,
    });

    // Paused survives a restart; the restored torrent is announced again (torrent.added).
    const restored: TorrentStatus[] = [];
    const sub = bob.bus.subscribe(engine.added, ({ torrent }) => void restored.push(torrent));
    cleanup.add('added subscription', () => sub.unsubscribe());
    await bob.process.stop();
    bob.process = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'controls-bob',
      env: bob.env,
    });
    givePeers(paused.hash);
    const after = await waitFor(async () => status(bob, paused.hash), { what: 'bob back with the torrent' });
    expect(after).toMatchObject({ state: 'paused', peers: 0, downloadLimit: MB });
    await waitFor(() => restored.find((t) => t.hash === paused.hash), {
      what: 'torrent.added for the restored torrent',
    });
    expect(restored.find((t) => t.hash === paused.hash)).toMatchObject({ state: 'paused' });

    await setLimits(bob, paused.hash, { downloadLimit: null });
    const resumed = await bob.bus.request(
      engine.resume,
      { hash: paused.hash },
      { params: { engineId: 'bob' } },
    );
    expect(resumed.ok && resumed.value.torrent.state).not.toBe('paused');
    await done(bob, paused.hash, 'the resumed download');
    expect(await sha256File(join(root, 'bob', 'downloads', 'pausable', 'data.bin'))).toBe(
      paused.sums.get('data.bin'),
    );
  });

  it('queues downloads beyond maxActiveDownloads and starts them when a slot frees', async () => {
    const first = await share('queue-1', { 'one.bin': 8 * MiB });
    const second = await share('queue-2', { 'two.bin': 1 * MiB });
    await bob.settings.updateEngine({ maxActiveDownloads: 1 });
    await bob.process.waitForLog(
      (l) =>
        l.msg === 'engine settings applied' && JSON.stringify(l.settings).includes('"maxActiveDownloads":1'),
      {
        what: 'bob to apply the queue limit',
      },
    );
    await download(first.hash, { peers: false });
    await setLimits(bob, first.hash, { downloadLimit: MB });
    const queued = await download(second.hash, { peers: false });
    expect(queued.state).toBe('queued');
    givePeers(first.hash, second.hash);
    await waitFor(async () => ((await status(bob, first.hash))?.downloaded ?? 0) > 0, {
      what: 'the first download to move',
    });
    expect(await status(bob, second.hash)).toMatchObject({ state: 'queued', downloaded: 0, peers: 0 });
    expect(await status(alice, second.hash)).toMatchObject({ peers: 0 });

    await setLimits(bob, first.hash, { downloadLimit: null });
    await done(bob, first.hash, 'the first download');
    await done(bob, second.hash, 'the queued download, once the first finished');
    expect(await sha256File(join(root, 'bob', 'downloads', 'queue-2', 'two.bin'))).toBe(
      second.sums.get('two.bin'),
    );
    await bob.settings.updateEngine({ maxActiveDownloads: null });
  });

  it('adds a .torrent, fetches only the wanted files, and removes with its data', async () => {
    const sel = await share('selective', {
      'a.bin': 2 * MiB + 11,
      'skip/b.bin': 6 * MiB,
      'c.txt': 1 * MiB + 3,
    });
    const metainfo = await readFile(join(root, 'alice', 'state', 'alice', `${sel.hash}.torrent`));
    const added: string[] = [];
    const removed: { hash: string; deleteData: boolean }[] = [];
    const subs = [
      bob.bus.subscribe(engine.added, ({ torrent }) => void added.push(torrent.hash)),
      bob.bus.subscribe(engine.removed, (e) => void removed.push(e)),
    ];
    cleanup.add('event subscriptions', () => subs.forEach((s) => s.unsubscribe()));

    const r = await bob.bus.request(engine.addTorrentFile, { metainfo: metainfo.toString('base64') });
    if (!r.ok) throw r.error;
    expect(r.value).toMatchObject({ created: true, torrent: { hash: sel.hash, name: 'selective' } });
    const index = r.value.torrent.files.findIndex((f) => f.path === join('selective', 'skip', 'b.bin'));
    expect(index).toBeGreaterThanOrEqual(0);
    const set = await bob.bus.request(
      engine.setFiles,
      { hash: sel.hash, files: [{ index, wanted: false }] },
      { params: { engineId: 'bob' } },
    );
    expect(set.ok && set.value.torrent.files.map((f) => f.wanted)).toEqual(
      r.value.torrent.files.map((_, i) => i !== index),
    );

    givePeers(sel.hash);
    const finished = await done(bob, sel.hash, 'the wanted files');
    expect(finished.progress).toBe(1);
    expect(finished.files[index]).toMatchObject({ wanted: false });
    // Only pieces shared with wanted files (at most one at each end) touch the unwanted file.
    expect(finished.files[index]!.downloaded).toBeLessThan(2 * MiB);
    for (const p of ['a.bin', 'c.txt']) {
      expect(await sha256File(join(root, 'bob', 'downloads', 'selective', p))).toBe(sel.sums.get(p));
    }
    await waitFor(() => added.includes(sel.hash), { what: 'the torrent.added event' });

    // The selection is kept across a restart: still complete (for the wanted files), still unwanted.
    await bob.process.stop();
    bob.process = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'controls-bob',
      env: bob.env,
    });
    const again = await done(bob, sel.hash, 'the selective torrent back after a restart');
    expect(again.files.map((f) => f.wanted)).toEqual(finished.files.map((f) => f.wanted));

    // Bad input: an index out of range, a torrent that is not there, a broken .torrent.
    const bad = await bob.bus.request(
      engine.setFiles,
      { hash: sel.hash, files: [{ index: 99, wanted: false }] },
      { params: { engineId: 'bob' } },
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const missing = await bob.bus.request(
      engine.pause,
      { hash: 'd'.repeat(40) },
      { params: { engineId: 'bob' } },
    );
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const broken = await bob.bus.request(engine.addTorrentFile, {
      metainfo: Buffer.from('d4:infoi1ee').toString('base64'),
    });
    expect(broken).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

    // Remove with data: the torrent's files and emptied folders go, nothing else.
    await writeFile(join(root, 'bob', 'downloads', 'keep.txt'), 'not from a torrent');
    const rm = await bob.bus.request(
      engine.remove,
      { hash: sel.hash, deleteData: true },
      { params: { engineId: 'bob' } },
    );
    expect(rm).toEqual({ ok: true, value: { removed: true } });
    const left = await readdir(join(root, 'bob', 'downloads'));
    expect(left).not.toContain('selective');
    expect(left).toContain('keep.txt');
    expect((await stat(join(root, 'alice', 'selective', 'a.bin'))).size).toBe(2 * MiB + 11);
    await waitFor(() => removed.find((e) => e.hash === sel.hash), { what: 'the torrent.removed event' });
    expect(removed.find((e) => e.hash === sel.hash)).toEqual({
      hash: sel.hash,
      engineId: 'bob',
      deleteData: true,
    });
  });

  it('announces to optional trackers and reports each tracker’s state', async () => {
    const server = new TrackerServer({ udp: false, ws: false, http: true, stats: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.add('tracker', () => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.http!.address() as { port: number }).port;
    const live = `http://127.0.0.1:${port}/announce`;
    const dead = 'http://127.0.0.1:1/announce';

    const t = await share('tracked', { 't.bin': 2 * MiB }, [live]);
    await waitFor(async () => (await status(alice, t.hash))?.trackers[0]?.state === 'working', {
      what: "alice's announce to the tracker",
    });
    // bob learns of alice from the tracker only (no xmpp.peers).
    const r = await bob.bus.request(engine.addHash, { hash: t.hash, trackers: [live, dead] });
    if (!r.ok) throw r.error;
    await done(bob, t.hash, 'the download found through the tracker');
    expect(await sha256File(join(root, 'bob', 'downloads', 'tracked', 't.bin'))).toBe(t.sums.get('t.bin'));
    const trackers = await waitFor(
      async () => {
        const s = await status(bob, t.hash);
        return s?.trackers.find((x) => x.url === dead)?.state === 'error' ? s.trackers : null;
      },
      { what: 'the dead tracker to show its error' },
    );
    expect(trackers.find((x) => x.url === live)).toMatchObject({
      state: 'working',
      message: null,
      lastAnnounceAt: expect.any(Number) as unknown,
    });
    expect(trackers.find((x) => x.url === dead)).toMatchObject({
      state: 'error',
      message: expect.stringMatching(/\w/) as unknown,
      lastAnnounceAt: null,
    });
    // Friend shares have no tracker unless asked for.
    expect(
      (await status(alice, (await list(alice)).find((x) => x.name === 'limit-down')!.hash))?.trackers,
    ).toEqual([]);
  });

  it('shares what is dropped into the watch folder once it is stable, and adds dropped .torrent files', async () => {
    const dropped = join(root, 'alice', 'watch', 'dropped');
    await mkdir(join(dropped, 'inner'), { recursive: true });
    const sum = await writeRandomFile(join(dropped, 'inner', 'x.bin'), 3 * MiB);
    await writeRandomFile(join(dropped, 'y.bin'), 1000);
    const shared = await waitFor(
      async () => (await list(alice)).find((t) => t.name === 'dropped' && t.state === 'seeding'),
      {
        what: 'alice to share the dropped folder',
      },
    );
    expect(shared.size).toBe(3 * MiB + 1000);

    // The .torrent of alice's share, dropped into bob's watch folder: bob downloads it.
    const metainfo = await waitFor(
      () => readFile(join(root, 'alice', 'state', 'alice', `${shared.hash}.torrent`)).catch(() => null),
      { what: "alice's stored .torrent of the dropped folder" },
    );
    await writeFile(join(root, 'bob', 'watch', 'dropped.torrent'), metainfo);
    await waitFor(async () => status(bob, shared.hash), { what: 'bob to add the dropped .torrent' });
    givePeers(shared.hash);
    await done(bob, shared.hash, 'the download of the dropped .torrent');
    expect(await sha256File(join(root, 'bob', 'downloads', 'dropped', 'inner', 'x.bin'))).toBe(sum);
  });
});
