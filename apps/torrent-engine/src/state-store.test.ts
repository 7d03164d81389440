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

  it('leaves files that are not torrent records alone (the watch folder ledger)', async () => {
    await store.save({ hash: HASH, source: 'path', savePath: '/s', addedAt: 1 });
    await writeFile(path.join(store.dir, 'watch-folder.json'), '{"entries": {}}');
    expect((await store.load()).map((l) => l.record.hash)).toEqual([HASH]);
    expect((await readdir(store.dir)).sort()).toEqual([`${HASH}.json`, 'watch-folder.json']);
  });
});
