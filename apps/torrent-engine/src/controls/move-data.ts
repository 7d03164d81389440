/**
 * Moving a torrent's files from one save folder to another, both below the share roots, never
 * through a symbolic link (confined-open.ts): a rename where both lie on one file system, else
 * a copy (to `<file>.bitween-move`, synced, read back and compared by SHA-256 with what was read
 * from the source), a rename of the copy into place, and only then the source unlinked.
 *
 * Every step can be repeated after a crash: a file that is no longer at the source was moved
 * (or never existed), a copy interrupted halfway is started again, and a file present at both
 * places (a crash between the rename into place and the unlink) is copied again.
 */
import { createHash } from 'node:crypto';
import { fsync, ftruncate, read, write } from 'node:fs';
import path from 'node:path';
import { closeFd, openConfined, renameConfined, unlinkConfined } from '../confined-open.js';
import { filesOutside } from '../paths.js';
import { executeDeletion, planDeletion } from './delete-data.js';

const readAsync = (fd: number, buf: Buffer, length: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) =>
    read(fd, buf, 0, length, pos, (err, n) => (err ? reject(err) : resolve(n))),
  );
const writeAsync = (fd: number, buf: Buffer, off: number, length: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) =>
    write(fd, buf, off, length, pos, (err, n) => (err ? reject(err) : resolve(n))),
  );
const fsyncAsync = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
const ftruncateAsync = (fd: number, len: number): Promise<void> =>
  new Promise((resolve, reject) => ftruncate(fd, len, (err) => (err ? reject(err) : resolve())));

const CHUNK = 1 << 20;
/** Suffix of a copy under way (replaced by the next attempt). */
export const COPY_SUFFIX = '.bitween-move';

export interface MoveReport {
  /** Files renamed in place (same file system). */
  renamed: number;
  /** Files copied, checked and their source removed (another file system). */
  copied: number;
  /** Files not at the source (moved before, or never downloaded). */
  absent: number;
  /** Folders of the torrent's layout left empty at the source and removed. */
  dirs: number;
}

/**
 * Move `files` (the torrent's paths, relative to its save folder) from `from` to `to` (real,
 * absolute paths below `roots`). Refuses a layout whose names would leave either folder.
 */
export async function moveData(
  roots: readonly string[],
  from: string,
  to: string,
  files: readonly string[],
): Promise<MoveReport> {
  const outside = [
    ...filesOutside(
      from,
      files.map((p) => ({ path: p })),
    ),
    ...filesOutside(
      to,
      files.map((p) => ({ path: p })),
    ),
  ];
  if (outside.length > 0)
    throw new Error(`file names leave the save folder (${outside.slice(0, 3).join(', ')})`);
  const report: MoveReport = { renamed: 0, copied: 0, absent: 0, dirs: 0 };
  for (const rel of files) {
    report[await moveFile(roots, path.resolve(from, rel), path.resolve(to, rel))]++;
  }
  // The layout's folders at the source, when the move left them empty (never the save folder).
  report.dirs = (await executeDeletion({ ...planDeletion(from, files), files: [] }, roots)).dirs;
  return report;
}

/** Move one file: renamed, copied, or absent (nothing at `from`). */
export async function moveFile(
  roots: readonly string[],
  from: string,
  to: string,
): Promise<'renamed' | 'copied' | 'absent'> {
  try {
    await renameConfined(roots, from, to);
    return 'renamed';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    if (code !== 'EXDEV') throw err;
  }
  // (rename(2) answers EXDEV before it looks for the source: a missing one shows here.)
  try {
    await copyChecked(roots, from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(await present(roots, from))) return 'absent';
    throw err;
  }
  await unlinkConfined(roots, from);
  return 'copied';
}

async function present(roots: readonly string[], file: string): Promise<boolean> {
  try {
    await closeFd(await openConfined(roots, file));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Copy `from` to `to` through a temporary file, synced and compared before it takes `to`'s name. */
async function copyChecked(roots: readonly string[], from: string, to: string): Promise<void> {
  const temp = `${to}${COPY_SUFFIX}`;
  const src = await openConfined(roots, from);
  let copied: { bytes: number; digest: string };
  try {
    const dst = await openConfined(roots, temp, { write: true });
    try {
      await ftruncateAsync(dst, 0);
      copied = await pump(src, dst);
      await fsyncAsync(dst);
      const back = await pump(dst, null);
      if (back.bytes !== copied.bytes || back.digest !== copied.digest) {
        throw new Error(`the copy of ${from} at ${temp} differs from it (read back ${back.bytes} bytes)`);
      }
    } finally {
      await closeFd(dst);
    }
  } finally {
    await closeFd(src);
  }
  await renameConfined(roots, temp, to);
}

/** Read `src` from its start, hashing it, and write it to `dst` (when given). */
async function pump(src: number, dst: number | null): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    const n = await readAsync(src, buf, CHUNK, pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    if (dst !== null) {
      let off = 0;
      while (off < n) off += await writeAsync(dst, buf, off, n - off, pos + off);
    }
    pos += n;
  }
  return { bytes: pos, digest: hash.digest('hex') };
}
