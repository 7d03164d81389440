import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveShareRoots } from '../confined-open.js';
import { COPY_SUFFIX, moveData } from './move-data.js';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Folders on two file systems: the temp dir (disk) and /dev/shm (tmpfs): a move between them copies. */
describe('moveData', () => {
  let disk: string;
  let shm: string;
  let roots: string[];
  const files = ['album/a.bin', 'album/sub/b.bin'];
  const bytes = { 'album/a.bin': Buffer.alloc(3_000_000, 7), 'album/sub/b.bin': Buffer.from('bee') };

  async function seed(dir: string): Promise<void> {
    for (const f of files) {
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await writeFile(path.join(dir, f), bytes[f as keyof typeof bytes]);
    }
  }

  beforeEach(async () => {
    disk = await mkdtemp(path.join(tmpdir(), 'move-data-'));
    shm = await mkdtemp(path.join('/dev/shm', 'move-data-'));
    roots = await resolveShareRoots([disk, shm]);
    expect((await stat(disk)).dev).not.toBe((await stat(shm)).dev);
  });
  afterEach(async () => {
    await rm(disk, { recursive: true, force: true });
    await rm(shm, { recursive: true, force: true });
  });

  it('renames within one file system and removes the emptied layout folders', async () => {
    const from = path.join(disk, 'downloads');
    const to = path.join(disk, 'elsewhere', 'deeper');
    await seed(from);
    const report = await moveData(roots, from, to, files);
    expect(report).toEqual({ renamed: 2, copied: 0, absent: 0, dirs: 2 });
    for (const f of files) expect(await readFile(path.join(to, f))).toEqual(bytes[f as keyof typeof bytes]);
    expect(await exists(path.join(from, 'album'))).toBe(false);
    expect(await exists(from)).toBe(true); // the save folder itself stays
  });

  it('copies across file systems, checks the copy, then removes the source', async () => {
    const from = path.join(disk, 'downloads');
    const to = path.join(shm, 'moved');
    await seed(from);
    const report = await moveData(roots, from, to, files);
    expect(report).toMatchObject({ renamed: 0, copied: 2, absent: 0 });
    for (const f of files) {
      expect(await readFile(path.join(to, f))).toEqual(bytes[f as keyof typeof bytes]);
      expect(await exists(path.join(from, f))).toBe(false);
      expect(await exists(path.join(to, f + COPY_SUFFIX))).toBe(false);
    }
  });

  it('finishes a move a crash interrupted: a half copy is redone, moved files are absent at the source', async () => {
    const from = path.join(disk, 'downloads');
    const to = path.join(shm, 'moved');
    await seed(from);
    // a.bin was copied and its source removed; b.bin's copy stopped halfway.
    await mkdir(path.join(to, 'album', 'sub'), { recursive: true });
    await writeFile(path.join(to, 'album/a.bin'), bytes['album/a.bin']);
    await rm(path.join(from, 'album/a.bin'));
    await writeFile(path.join(to, 'album/sub/b.bin' + COPY_SUFFIX), 'b');
    const report = await moveData(roots, from, to, files);
    expect(report).toMatchObject({ copied: 1, absent: 1 });
    for (const f of files) expect(await readFile(path.join(to, f))).toEqual(bytes[f as keyof typeof bytes]);
    expect(await exists(path.join(to, 'album/sub/b.bin' + COPY_SUFFIX))).toBe(false);
  });

  it('refuses a destination outside the roots and names that leave the folder, touching nothing', async () => {
    const from = path.join(disk, 'downloads');
    await seed(from);
    const outside = await mkdtemp(path.join(tmpdir(), 'move-outside-'));
    try {
      await expect(moveData(roots, from, path.join(outside, 'x'), files)).rejects.toThrow(
        /outside the share roots/,
      );
      await expect(moveData(roots, from, path.join(disk, 'y'), ['../escape.bin'])).rejects.toThrow(
        /leave the save folder/,
      );
      // A link inside the roots that leads out is never followed.
      await symlink(outside, path.join(disk, 'link'));
      await expect(moveData(roots, from, path.join(disk, 'link', 'in'), files)).rejects.toThrow(
        /symbolic link/,
      );
      expect(await exists(path.join(outside, 'in'))).toBe(false);
      for (const f of files) expect(await exists(path.join(from, f))).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
