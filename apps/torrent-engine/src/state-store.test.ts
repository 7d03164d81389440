import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateStore } from './state-store.js';

const HASH = 'a'.repeat(40);
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe('StateStore', () => {
  let dir: string;
  let store: StateStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'state-'));
    store = new StateStore(path.join(dir, 'engine'), log);
    await store.init();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round-trips records and metadata', async () => {
    await store.save({ hash: HASH, source: 'hash', savePath: '/dl', addedAt: 1 });
    expect(await store.load()).toEqual([
      { record: { hash: HASH, source: 'hash', savePath: '/dl', addedAt: 1 }, torrentFile: null },
    ]);
    await store.saveMetadata(HASH, new Uint8Array([1, 2, 3]));
    const [loaded] = await store.load();
    expect(loaded?.torrentFile).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('saves and removes many torrents at once (a takeover batch), with and without metadata', async () => {
    const torrents = Array.from({ length: 40 }, (_, i) => ({
      record: { hash: i.toString(16).padStart(40, '0'), source: 'path' as const, savePath: '/s', addedAt: i },
      torrentFile: i % 2 === 0 ? new Uint8Array([i]) : null,
    }));
    await store.saveAll(torrents);
    expect(await store.load()).toEqual(torrents);
    await store.removeAll(torrents.slice(0, 30).map((t) => t.record.hash));
    expect(await store.load()).toEqual(torrents.slice(30));
    expect((await readdir(store.dir)).sort()).toEqual(
      torrents
        .slice(30)
        .flatMap(({ record, torrentFile }) => [
          `${record.hash}.json`,
          ...(torrentFile ? [`${record.hash}.torrent`] : []),
        ])
        .sort(),
    );
  });

  it("keeps the files' selection and priorities (restored at start with the record)", async () => {
    const record = {
      hash: HASH,
      source: 'hash' as const,
      savePath: '/dl',
      addedAt: 1,
      unwanted: [3],
      highPriority: [0, 2],
      lowPriority: [1],
    };
    await store.save(record);
    expect((await store.load())[0]?.record).toEqual(record);
  });

  it("keeps a share's whole-file SHA-256 (restart and takeover load the record as written)", async () => {
    const sha256 = createHash('sha256').update('movie').digest('base64');
    const record = { hash: HASH, source: 'path' as const, savePath: '/s', addedAt: 1, sha256 };
    await store.save(record);
    const other = new StateStore(store.dir, log); // another engine taking the folder over
    expect((await other.load()).map((t) => t.record)).toEqual([record]);
  });

  it('forgets a removed torrent', async () => {
    await store.save({ hash: HASH, source: 'path', savePath: '/s', addedAt: 1 });
    await store.saveMetadata(HASH, new Uint8Array([1]));
    await store.remove(HASH);
    expect(await store.load()).toEqual([]);
    expect(await readdir(store.dir)).toEqual([]);
  });

  it('sets a corrupt record aside and keeps loading the rest', async () => {
    await store.save({ hash: HASH, source: 'path', savePath: '/s', addedAt: 1 });
    await writeFile(path.join(store.dir, `${'b'.repeat(40)}.json`), '{"hash": "nope"');
    const loaded = await store.load();
    expect(loaded.map((l) => l.record.hash)).toEqual([HASH]);
    expect(await readdir(store.dir)).toContain(`${'b'.repeat(40)}.json.corrupt`);
    expect(log.error).toHaveBeenCalled();
  });

  it('cleans up interrupted writes and files whose record is gone', async () => {
    await store.save({ hash: HASH, source: 'path', savePath: '/s', addedAt: 1 });
    const orphan = 'd'.repeat(40);
    const names = [`${orphan}.torrent`, `${orphan}.resume`, `${HASH}.json.123456`, `${HASH}.json.4242.tmp`];
    for (const n of names) await writeFile(path.join(store.dir, n), 'x');
    await writeFile(path.join(store.dir, `${HASH}.resume`), 'kept');
    expect((await store.load()).map((l) => l.record.hash)).toEqual([HASH]);
    expect((await readdir(store.dir)).sort()).toEqual([`${HASH}.json`, `${HASH}.resume`]);
  });

  it('keeps a record whole when many writes of it race', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.save({ hash: HASH, source: 'hash', savePath: `/dl/${'x'.repeat(i * 100)}`, addedAt: i }),
      ),
    );
    const [loaded] = await store.load();
    expect(loaded?.record.addedAt).toBe(19); // applied in call order, none torn
    expect(await readdir(store.dir)).toEqual([`${HASH}.json`]);
  });

  it('leaves files that are not torrent records alone (the watch folder ledger)', async () => {
    await store.save({ hash: HASH, source: 'path', savePath: '/s', addedAt: 1 });
    await writeFile(path.join(store.dir, 'watch-folder.json'), '{"entries": {}}');
    expect((await store.load()).map((l) => l.record.hash)).toEqual([HASH]);
    expect((await readdir(store.dir)).sort()).toEqual([`${HASH}.json`, 'watch-folder.json']);
  });
});
