import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  sha256File,
  writeRandomFile,
  makeTempDir,
  startTestEngine,
  waitFor,
  type TestEngine,
} from '../harness/index.js';

/** Two engines, each on its own NATS (two users), no XMPP: the test plays the gateway. */
describe('torrent engine', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let bob: TestEngine;

  beforeAll(async () => {
    root = await makeTempDir('engines');
    [alice, bob] = await Promise.all([
      startTestEngine(cleanup, { root, id: 'alice' }),
      startTestEngine(cleanup, { root, id: 'bob' }),
    ]);
  });
  afterAll(() => cleanup.run());

  const album = () => join(root, 'alice', 'album');
  const files = [
    { path: 'disc1/01.flac', bytes: 3 * 1024 * 1024 + 123 },
    { path: 'disc2/extra/02.flac', bytes: 1024 * 1024 },
    { path: 'cover.jpg', bytes: 4321 },
  ];
  const sums = new Map<string, string>();
  let hash = '';

  it('shares a folder in place, as one torrent named after it', async () => {
    for (const f of files) {
      await mkdir(join(album(), f.path, '..'), { recursive: true });
      sums.set(f.path, await writeRandomFile(join(album(), f.path), f.bytes));
    }
    const r = await alice.bus.request(engine.addPath, { path: album() });
    if (!r.ok) throw r.error;
    expect(r.value.created).toBe(true);
    const t = r.value.torrent;
    hash = t.hash;
    expect(t).toMatchObject({
      name: 'album',
      size: files.reduce((n, f) => n + f.bytes, 0),
      state: 'seeding',
      savePath: join(root, 'alice'),
    });
    expect(t.files.map((f) => f.path).sort()).toEqual(files.map((f) => join('album', f.path)).sort());

    // Sharing the same folder again is idempotent.
    const again = await alice.bus.request(engine.addPath, { path: album() });
    expect(again.ok && again.value).toMatchObject({ created: false, torrent: { hash } });
  });

  it('announces the share and its endpoint in the engines registry', async () => {
    const live = await waitFor(
      async () => (await alice.registry.live()).find((e) => e.state.torrents.some((t) => t.hash === hash)),
      { what: "alice's registry entry with the share" },
    );
    expect(live.state.endpoints).toEqual([{ address: '127.0.0.1', port: expect.any(Number) as unknown }]);
    expect(live.state.torrents).toEqual([
      { hash, name: 'album', size: files.reduce((n, f) => n + f.bytes, 0) },
    ]);
  });

  it('downloads the folder by hash from the peer it is given', async () => {
    const [registered] = await alice.registry.live();
    const endpoints = registered!.state.endpoints;
    const r = await bob.bus.request(engine.addHash, { hash });
    expect(r.ok && r.value.torrent.state).toBe('metadata');
    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: "bob's download",
    });
    expect(bob.bus.publish(xmpp.peers, { peers: [{ hash, endpoints }] })).toBe(true);
    await complete;
    for (const f of files) {
      expect(await sha256File(join(root, 'bob', 'downloads', 'album', f.path)), f.path).toBe(
        sums.get(f.path),
      );
    }
  });

  it('removes a torrent but keeps its files', async () => {
    const removed = await bob.bus.request(engine.remove, { hash }, { params: { engineId: 'bob' } });
    expect(removed).toEqual({ ok: true, value: { removed: true } });
    const list = await bob.bus.request(engine.list, {}, { params: { engineId: 'bob' } });
    expect(list.ok && list.value.torrents).toEqual([]);
    expect((await stat(join(root, 'bob', 'downloads', 'album', 'cover.jpg'))).size).toBe(4321);
    const twice = await bob.bus.request(engine.remove, { hash }, { params: { engineId: 'bob' } });
    expect(twice).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('refuses paths outside the share roots, and paths that do not exist', async () => {
    for (const path of ['/etc', '/etc/hostname']) {
      const outside = await alice.bus.request(engine.addPath, { path });
      expect(outside).toMatchObject({
        ok: false,
        error: {
          code: 'failed',
          message: expect.stringMatching(/outside the share roots .*BITWEEN_SHARE_ROOTS/) as unknown,
        },
      });
    }
    const missing = await alice.bus.request(engine.addPath, { path: join(root, 'alice', 'nope') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const saveOutside = await bob.bus.request(engine.addHash, {
      hash: 'e'.repeat(40),
      savePath: '/tmp/elsewhere',
    });
    expect(saveOutside).toMatchObject({ ok: false, error: { code: 'failed' } });
  });

  it('treats concurrent adds of one hash as one', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => bob.bus.request(engine.addHash, { hash: 'f'.repeat(40) })),
    );
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1);
    expect(results.every((r) => r.ok)).toBe(true);
    const list = await bob.bus.request(engine.list, {}, { params: { engineId: 'bob' } });
    expect(list.ok && list.value.torrents.map((t) => [t.hash, t.state])).toEqual([
      ['f'.repeat(40), 'metadata'],
    ]);
  });

  it('keeps the shared data untouched', async () => {
    for (const f of files) expect(await sha256File(join(album(), f.path))).toBe(sums.get(f.path));
    expect(await readFile(join(album(), 'cover.jpg'))).toHaveLength(4321);
  });
});
