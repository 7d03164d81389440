import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engine } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, makeTempDir, startTestEngine, writeRandomFile, type TestEngine } from '../harness/index.js';

const PIECE = 256 * 1024; // the piece length bitween picks for shares this small (piece-length.ts)

/**
 * A file that ends exactly on a piece boundary counts its last piece (webtorrent's File#downloaded
 * subtracted the whole piece as "bytes of the next file": complete torrents showed 75 %, 97 %…
 * in Transmission clients). Fixed in patches/webtorrent+3.0.21.patch.
 */
describe('files that end on a piece boundary', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;

  beforeAll(async () => {
    root = await makeTempDir('piece-boundary');
    alice = await startTestEngine(cleanup, { root, id: 'alice' });
  });
  afterAll(() => cleanup.run());

  it('counts every byte of a complete single-file torrent of exactly one and of several pieces', async () => {
    for (const pieces of [1, 3]) {
      const path = join(root, 'alice', `exact-${pieces}.bin`);
      await mkdir(join(root, 'alice'), { recursive: true });
      await writeRandomFile(path, pieces * PIECE);
      const r = await alice.bus.request(engine.addPath, { path });
      if (!r.ok) throw r.error;
      const t = r.value.torrent;
      expect(t.state).toBe('seeding');
      expect(t.files).toHaveLength(1);
      expect(t.files[0]).toMatchObject({ size: pieces * PIECE, downloaded: pieces * PIECE });
      expect(t.progress).toBe(1);
      expect(t.downloaded).toBe(pieces * PIECE);
    }
  });

  it('counts every byte of each file of a folder whose files end on piece boundaries', async () => {
    const folder = join(root, 'alice', 'aligned');
    const sizes = { 'a.bin': PIECE, 'b.bin': 2 * PIECE, 'c.bin': 1000 };
    await mkdir(folder, { recursive: true });
    for (const [name, bytes] of Object.entries(sizes)) await writeRandomFile(join(folder, name), bytes);
    const r = await alice.bus.request(engine.addPath, { path: folder });
    if (!r.ok) throw r.error;
    const t = r.value.torrent;
    expect(t.state).toBe('seeding');
    expect(Object.fromEntries(t.files.map((f) => [f.path.split('/').pop(), f.downloaded]))).toEqual(sizes);
    expect(t.progress).toBe(1);
  });
});
