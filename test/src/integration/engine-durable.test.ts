import { mkdir, open, truncate, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp, type TorrentStatus } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  sha256File,
  startService,
  startTestEngine,
  startThrottleProxy,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Files here are small enough for 256 KiB pieces (piece-length.ts). */
const PIECE = 256 * KiB;
/** An mtime with whole seconds, so a test can put it back exactly after changing a file. */
const FIXED_MTIME = 1_700_000_000;

/**
 * Engines as real processes, each with its own NATS: state survives SIGKILL and restarts, a
 * restart resumes from the saved bitfield, hashing runs beside transfers.
 */
describe('torrent engine: durable state, fast resume, hashing off the main thread', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let bob: TestEngine;

  const startEngine = (id: string): Promise<TestEngine> =>
    startTestEngine(cleanup, {
      root,
      id,
      label: `durable-${id}`,
      extra: { BITWEEN_PROGRESS_INTERVAL_MS: '500' },
    });

  async function stop(side: TestEngine, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (how === 'SIGKILL') {
      process.kill(side.process.pid, 'SIGKILL');
      expect(await side.process.exited).toBe(null);
    } else {
      expect(await side.process.stop()).toBe(0);
    }
  }

  async function start(side: TestEngine): Promise<void> {
    side.process = await startService(cleanup, {
      name: 'torrent-engine',
      label: `durable-${side.id}`,
      env: side.env,
    });
  }

  async function torrent(side: TestEngine, hash: string): Promise<TorrentStatus | undefined> {
    const r = await side.bus.request(engine.list, {}, { params: { engineId: side.id } });
    if (!r.ok) throw r.error;
    return r.value.torrents.find((t) => t.hash === hash);
  }

  async function share(path: string): Promise<string> {
    const r = await alice.bus.request(engine.addPath, { path }, { timeoutMs: 120_000 });
    if (!r.ok) throw r.error;
    expect(r.value.torrent.state).toBe('seeding');
    return r.value.torrent.hash;
  }

  async function alicePort(): Promise<number> {
    const live = await waitFor(
      async () => (await alice.registry.live()).find((e) => e.state.engineId === 'alice'),
      {
        what: "alice's registry entry",
      },
    );
    return live.state.endpoints[0]!.port;
  }

  const peersFor = (hash: string, port: number) => ({
    peers: [{ hash, endpoints: [{ address: '127.0.0.1', port }] }],
  });

  beforeAll(async () => {
    root = await makeTempDir('durable');
    await mkdir(join(root, 'alice', 'shares'), { recursive: true });
    [alice, bob] = await Promise.all([startEngine('alice'), startEngine('bob')]);
  });
  afterAll(() => cleanup.run());

  it('a download killed with SIGKILL half-way keeps its data, resumes after a restart and completes', async () => {
    const file = join(root, 'alice', 'shares', 'movie.bin');
    const sum = await writeRandomFile(file, 64 * MiB);
    const hash = await share(file);
    // A slow link, so the test can act half-way through the transfer.
    const link = await startThrottleProxy(cleanup, {
      targetPort: await alicePort(),
      bytesPerSecond: 8 * MiB,
    });
    expect((await bob.bus.request(engine.addHash, { hash })).ok).toBe(true);
    expect(bob.bus.publish(xmpp.peers, peersFor(hash, link.port))).toBe(true);

    await waitFor(async () => ((await torrent(bob, hash))?.progress ?? 0) >= 0.5, {
      what: "bob's download to reach 50 %",
      timeoutMs: 120_000,
    });
    link.hold();
    const atKill = (await torrent(bob, hash))!;
    expect(atKill.done).toBe(false);
    await stop(bob, 'SIGKILL');
    await link.stop();
    await start(bob);

    // Restored from the state dir; the pieces on disk are found again (at most those in flight are lost).
    await bob.process.waitForLog(
      (l) => (l.msg === 'verifying data' || l.msg === 'fast resume') && l['hash'] === hash,
      { what: "bob's restored torrent" },
    );
    const restored = await waitFor(
      async () => {
        const t = await torrent(bob, hash);
        return t?.state === 'downloading' && t;
      },
      { what: "bob's restored torrent to finish checking", timeoutMs: 120_000 },
    );
    expect(restored.downloaded).toBeGreaterThanOrEqual(atKill.downloaded - 32 * PIECE);
    expect(restored.downloaded).toBeGreaterThan(0);

    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l['hash'] === hash, {
      what: "bob's download after the restart",
      timeoutMs: 120_000,
    });
    expect(bob.bus.publish(xmpp.peers, peersFor(hash, await alicePort()))).toBe(true);
    await complete;
    expect(await sha256File(join(root, 'bob', 'downloads', 'movie.bin'))).toBe(sum);
  });

  let clean = '';
  let trusted = '';
  const trustedFile = () => join(root, 'alice', 'shares', 'trusted.bin');

  it('a restarted seeder starts from its saved bitfield without re-hashing, and serves', async () => {
    const cleanFile = join(root, 'alice', 'shares', 'clean.bin');
    const sum = await writeRandomFile(cleanFile, 8 * MiB + 5);
    await writeRandomFile(trustedFile(), 8 * MiB);
    await utimes(trustedFile(), FIXED_MTIME, FIXED_MTIME);
    clean = await share(cleanFile);
    trusted = await share(trustedFile());
    for (const hash of [clean, trusted]) {
      await alice.process.waitForLog((l) => l.msg === 'resume data saved' && l['hash'] === hash, {
        what: `resume data of ${hash}`,
      });
    }
    await stop(alice, 'SIGTERM');
    // Meanwhile… the second and the last piece of trusted.bin go bad, size and mtime unchanged. A
    // re-hash would notice; a start from a saved bitfield with every piece does not read the files
    // (webtorrent's own start from a bitfield would hash one piece per file, the second: not done).
    const fh = await open(trustedFile(), 'r+');
    await fh.write(Buffer.alloc(1000, 0xee), 0, 1000, PIECE);
    await fh.write(Buffer.alloc(1000, 0xee), 0, 1000, 8 * MiB - 1000);
    await fh.close();
    await utimes(trustedFile(), FIXED_MTIME, FIXED_MTIME);
    await start(alice);

    for (const hash of [clean, trusted]) {
      const line = await alice.process.waitForLog((l) => l.msg === 'fast resume' && l['hash'] === hash, {
        what: `fast resume of ${hash}`,
      });
      expect(line['have']).toBe(line['pieces']);
    }
    const ready = await alice.process.waitForLog((l) => l.msg === 'restored torrents ready', {
      what: "alice's restored torrents",
    });
    expect(ready).toMatchObject({ torrents: 3, resumed: 3, verified: 0 });
    expect(await torrent(alice, trusted)).toMatchObject({ state: 'seeding', progress: 1, done: true });

    // …and it serves at once.
    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l['hash'] === clean, {
      what: "bob's download of clean.bin",
    });
    expect((await bob.bus.request(engine.addHash, { hash: clean })).ok).toBe(true);
    expect(bob.bus.publish(xmpp.peers, peersFor(clean, await alicePort()))).toBe(true);
    await complete;
    expect(await sha256File(join(root, 'bob', 'downloads', 'clean.bin'))).toBe(sum);
    // Started as verified from complete bitfields, their resume data was not written again (the
    // save on 'ready' compares with the bitfield they started from).
    const saved = alice.process.logs.filter(
      (l) => l.msg === 'resume data saved' && (l['hash'] === clean || l['hash'] === trusted),
    );
    expect(saved).toEqual([]);
  });

  it('verifies a file that changed while the engine was down', async () => {
    await stop(alice, 'SIGTERM');
    const now = new Date();
    await utimes(trustedFile(), now, now);
    await start(alice);
    const line = await alice.process.waitForLog((l) => l.msg === 'verifying data' && l['hash'] === trusted, {
      what: 'trusted.bin to be verified',
    });
    expect(line['reason']).toBe('trusted.bin changed since the resume data was saved');
    await alice.process.waitForLog((l) => l.msg === 'fast resume' && l['hash'] === clean, {
      what: 'clean.bin to resume',
    });
    // The check finds the two bad pieces.
    const checked = await waitFor(
      async () => {
        const t = await torrent(alice, trusted);
        return t?.state === 'downloading' && t;
      },
      { what: 'trusted.bin to be checked', timeoutMs: 120_000 },
    );
    expect(checked.downloaded).toBe(8 * MiB - 2 * PIECE);
  });

  it('hashing a large file does not stall the transfers of other torrents', async () => {
    const streamFile = join(root, 'alice', 'shares', 'stream.bin');
    await writeRandomFile(streamFile, 48 * MiB);
    const stream = await share(streamFile);
    const link = await startThrottleProxy(cleanup, {
      targetPort: await alicePort(),
      bytesPerSecond: 4 * MiB,
    });
    expect((await bob.bus.request(engine.addHash, { hash: stream })).ok).toBe(true);
    expect(bob.bus.publish(xmpp.peers, peersFor(stream, link.port))).toBe(true);
    await waitFor(async () => ((await torrent(bob, stream))?.downloaded ?? 0) > 2 * MiB, {
      what: "bob's download of stream.bin to be under way",
    });

    // 8 GiB, sparse: the disk is not the bottleneck, hashing is (a few seconds at ≈ 2-3 GB/s).
    const huge = join(root, 'alice', 'shares', 'huge.img');
    await (await open(huge, 'w')).close();
    await truncate(huge, 8 * 1024 * MiB);
    const uploads: number[] = [];
    let hashing = false;
    const sub = alice.bus.subscribe(engine.progress, (p) => {
      if (hashing && p.hash === stream) uploads.push(p.uploaded);
    });
    hashing = true;
    const added = await alice.bus.request(engine.addPath, { path: huge }, { timeoutMs: 170_000 });
    hashing = false;
    sub.unsubscribe();
    await link.stop();
    expect(added.ok && added.value.torrent).toMatchObject({ name: 'huge.img', size: 8 * 1024 * MiB });
    // While the request was under way, alice kept publishing progress, and kept uploading.
    const growing = uploads.filter((u, i) => i === 0 || u > uploads[i - 1]!);
    expect(growing.length, `uploaded while hashing: ${uploads.join(', ')}`).toBeGreaterThanOrEqual(3);
  });
});
