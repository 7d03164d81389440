// Opening files below the share roots without ever following a symbolic link, checked on the
// descriptor that is then read or written (not on a path looked at earlier).
//
// Self-contained (node: imports only, erasable TypeScript): the hash worker imports it as .ts in
// unit tests and as .js from dist.
//
// How (Linux): Node has no openat(2), but `/proc/self/fd/<dirfd>/<name>` is the same lookup: the
// kernel jumps to the directory the descriptor holds (wherever it is now) and looks `name` up in
// it. So a path below a share root is opened one component at a time, starting from a descriptor
// of the root's real path (resolved once at start-up, and checked again on the descriptor):
// every folder with O_DIRECTORY|O_NOFOLLOW, the file with O_NOFOLLOW. A component that is a
// symbolic link fails that open (ELOOP/ENOTDIR) and the open is refused; a link swapped in after
// the share was created is caught at the moment of the open, because the open itself refuses it.
// Folders a download needs are created the same way (mkdir of `/proc/self/fd/<dirfd>/<name>`),
// so nothing is created through a link either. Finally the opened descriptor's own path
// (readlink of /proc/self/fd/<fd>) must lie below the root: a second, independent check.

import {
  close,
  constants,
  fstat,
  lstat,
  mkdir,
  open,
  read,
  readlink,
  realpath,
  rename,
  rmdir,
  unlink,
} from 'node:fs';
import path from 'node:path';

const PROC_FD = '/proc/self/fd';

/** A path that leads through a symbolic link, out of the share roots, or to a non-regular file. */
export class RefusedPathError extends Error {
  readonly code = 'EREFUSEDPATH';
  /** The path that was to be opened. */
  readonly path: string;
  constructor(file: string, why: string) {
    super(`refused to open ${file}: ${why}`);
    this.name = 'RefusedPathError';
    this.path = file;
  }
}

export function isRefusal(err: unknown): err is RefusedPathError {
  return err instanceof RefusedPathError;
}

/** True when `child` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The root (of real, absolute paths) that holds `file`, the deepest when several do; or null. */
export function rootOf(roots: readonly string[], file: string): string | null {
  let best: string | null = null;
  for (const r of roots) if (isInside(r, file) && (best === null || r.length > best.length)) best = r;
  return best;
}

/**
 * The real paths of the share roots, resolved once (at start-up): a root configured through a
 * symbolic link is pinned to where the link pointed then. A root that does not exist yet (the
 * download dir before its first download) resolves through its nearest existing parent. Also
 * checks that /proc/self/fd works (Linux): without it nothing below the roots could be opened.
 */
export async function resolveShareRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => realOrParent(path.resolve(r))));
  const probe = await openFd(path.parse(real[0] ?? '/').root, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await readlinkFd(probe);
  } catch (err) {
    throw new Error(
      `bitween needs /proc/self/fd (Linux procfs) to open shared files safely: ${(err as Error).message}`,
    );
  } finally {
    await closeFd(probe);
  }
  return [...new Set(real)];
}

async function realOrParent(p: string): Promise<string> {
  try {
    return await promised<string>((cb) => realpath(p, cb));
  } catch (err) {
    const parent = path.dirname(p);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
    return path.join(await realOrParent(parent), path.basename(p));
  }
}

export interface ConfinedOpenOptions {
  /** Open read-write, creating the file and its missing folders (a download). Default: read-only. */
  write?: boolean;
}

/**
 * Open `file` (absolute, normalised: e.g. `<save path>/<file path>`) for reading, or for writing
 * with `write`, below the deepest root of `roots` (real paths, see resolveShareRoots) that holds
 * it. Resolves with a descriptor of a regular file below that root, reached without following
 * any symbolic link. Rejects with RefusedPathError when the path is outside the roots, a
 * component below the root is a symbolic link (whether it points inside or outside), the file is
 * not a regular file, or the descriptor turns out not to be below the root; with the system's
 * error otherwise (ENOENT: not there, for a read).
 */
export async function openConfined(
  roots: readonly string[],
  file: string,
  opts: ConfinedOpenOptions = {},
): Promise<number> {
  const write = opts.write === true;
  const flags =
    (write ? constants.O_RDWR | constants.O_CREAT : constants.O_RDONLY) |
    constants.O_NOFOLLOW |
    // A FIFO someone left here must not block the open; no effect on regular files.
    constants.O_NONBLOCK;
  const openLast = (p: string): Promise<number> =>
    openFd(p, flags).catch((err: unknown) => {
      throw code(err) === 'ELOOP' ? new RefusedPathError(file, `${file} is a symbolic link`) : err;
    });
  let root: string;
  let fd: number;
  if (path.isAbsolute(file) && path.resolve(file) === file && roots.includes(file)) {
    // A root that is a file (BITWEEN_SHARE_ROOTS may name one): its real path, pinned at start.
    root = file;
    fd = await openLast(file);
  } else {
    const parent = await walkToParent(roots, file, write);
    root = parent.root;
    try {
      fd = await openLast(at(parent.dirFd, parent.name));
    } finally {
      await closeFd(parent.dirFd);
    }
  }
  try {
    const info = await promised<{ isFile(): boolean }>((cb) => fstat(fd, cb));
    if (!info.isFile()) throw new RefusedPathError(file, 'it is not a regular file');
    const real = await readlinkFd(fd);
    if (!isInside(root, real)) throw new RefusedPathError(file, `it is ${real}, outside the share roots`);
    return fd;
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/** The bytes of `file` (opened as openConfined does), at most `maxBytes` of them. */
export async function readFileConfined(
  roots: readonly string[],
  file: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const fd = await openConfined(roots, file);
  try {
    const buf = Buffer.allocUnsafe(maxBytes + 1);
    let n = 0;
    for (;;) {
      const got = await readFd(fd, buf, n, buf.length - n);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`);
    }
    return new Uint8Array(buf.subarray(0, n));
  } finally {
    await closeFd(fd);
  }
}

/**
 * Open the folder `dir` (the root itself or a folder below it) without following links; the
 * descriptor can be listed with `readdir(procPath(fd))`. Close it with closeFd.
 */
export async function openDirConfined(
  roots: readonly string[],
  dir: string,
  opts: { create?: boolean } = {},
): Promise<number> {
  const create = opts.create === true;
  const root = rootOf(roots, dir);
  if (root === null) throw new RefusedPathError(dir, 'it is outside the share roots');
  if (root === dir) return openRoot(root);
  const { dirFd, name } = await walkToParent(roots, dir, create);
  try {
    return await openDirAt(dirFd, name, dir, create);
  } finally {
    await closeFd(dirFd);
  }
}

/**
 * Create the folder `dir` (e.g. a download's save path, as requested) and its missing parents
 * below the roots, never through a link out of them: the existing part of `dir` is resolved to
 * its real path (a link there must lead inside a root), the root is created if it is missing
 * (where the configuration says), and the rest is created one folder at a time without
 * following links (a link swapped in meanwhile is refused). Resolves with the real path.
 */
export async function mkdirConfined(roots: readonly string[], dir: string): Promise<string> {
  const real = await realOrParent(path.resolve(dir));
  const root = rootOf(roots, real);
  if (root === null) throw new RefusedPathError(dir, `it is ${real}, outside the share roots`);
  await promised<string | undefined>((cb) => mkdir(root, { recursive: true }, cb));
  await closeFd(await openDirConfined(roots, real, { create: true }));
  return real;
}

/**
 * Unlink `file` below the roots without following links on the way (the last component is
 * never followed by unlink). Resolves false when there was nothing to remove, or the way to it
 * leads through a link (then nothing outside is touched).
 */
export async function unlinkConfined(roots: readonly string[], file: string): Promise<boolean> {
  return removeAt(roots, file, unlink);
}

/**
 * Remove the empty folder `dir` below the roots without following links on the way (as
 * {@link unlinkConfined}); false when it is not there, not empty, or reached through a link.
 */
export async function rmdirConfined(roots: readonly string[], dir: string): Promise<boolean> {
  try {
    return await removeAt(roots, dir, rmdir);
  } catch (err) {
    if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(code(err) ?? '')) return false;
    throw err;
  }
}

async function removeAt(
  roots: readonly string[],
  file: string,
  remove: (p: string, cb: (err: NodeJS.ErrnoException | null) => void) => void,
): Promise<boolean> {
  let parent: { dirFd: number; name: string };
  try {
    parent = await walkToParent(roots, file, false);
  } catch (err) {
    if (isRefusal(err) || code(err) === 'ENOENT') return false;
    throw err;
  }
  try {
    await promised<void>((cb) => remove(at(parent.dirFd, parent.name), cb));
    return true;
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw err;
  } finally {
    await closeFd(parent.dirFd);
  }
}

/**
 * Rename `from` to `to` (both below the roots; `to`'s missing folders are created), each side
 * reached one folder at a time without following links (a link in `from`'s place is moved as
 * the link, never followed). Rejects with the system's error, e.g. EXDEV when the two lie on
 * different file systems, ENOENT when `from` is not there.
 */
export async function renameConfined(roots: readonly string[], from: string, to: string): Promise<void> {
  const src = await walkToParent(roots, from, false);
  try {
    const dst = await walkToParent(roots, to, true);
    try {
      await promised<void>((cb) => rename(at(src.dirFd, src.name), at(dst.dirFd, dst.name), cb));
    } finally {
      await closeFd(dst.dirFd);
    }
  } finally {
    await closeFd(src.dirFd);
  }
}

/** The path through which a descriptor's file or folder is reached (for readdir, stat). */
export function procPath(fd: number, name?: string): string {
  return name === undefined ? `${PROC_FD}/${fd}` : at(fd, name);
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

// ---- the walk -------------------------------------------------------------------------------

/**
 * A descriptor of the folder holding `file`'s last component, reached from its root one folder
 * at a time without following links (creating missing folders with `create`).
 */
async function walkToParent(
  roots: readonly string[],
  file: string,
  create: boolean,
): Promise<{ root: string; dirFd: number; name: string }> {
  if (!path.isAbsolute(file) || path.resolve(file) !== file)
    throw new RefusedPathError(file, 'it is not an absolute, normalised path');
  const root = rootOf(roots, file);
  if (root === null) throw new RefusedPathError(file, 'it is outside the share roots');
  const parts = path.relative(root, file).split(path.sep);
  const name = parts.pop();
  if (name === undefined || name === '') throw new RefusedPathError(file, 'it is a share root');
  let dirFd = await openRoot(root);
  try {
    let walked = root;
    for (const part of parts) {
      walked = path.join(walked, part);
      const next = await openDirAt(dirFd, part, walked, create);
      await closeFd(dirFd);
      dirFd = next;
    }
  } catch (err) {
    await closeFd(dirFd);
    throw err;
  }
  return { root, dirFd, name };
}

/** A descriptor of a root, which must still be at the real path it had at start-up. */
async function openRoot(root: string): Promise<number> {
  const fd = await openFd(root, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const now = await readlinkFd(fd);
    if (now !== root) throw new RefusedPathError(root, `the share root now leads to ${now}`);
    return fd;
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/** Open folder `name` in the folder `dirFd` holds, never through a link. */
async function openDirAt(dirFd: number, name: string, shown: string, create: boolean): Promise<number> {
  const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
  try {
    return await openFd(at(dirFd, name), flags);
  } catch (err) {
    const c = code(err);
    if (c === 'ENOENT' && create) {
      await promised<void>((cb) => mkdir(at(dirFd, name), 0o777, (e) => cb(code(e) === 'EEXIST' ? null : e)));
      // Once only: whatever is there now is opened without following it, or refused.
      return openDirAt(dirFd, name, shown, false);
    }
    // O_NOFOLLOW fails with ELOOP, or ENOTDIR along with O_DIRECTORY, on a link. ENOTDIR is also
    // a plain file where a folder is expected; anything else there now (a link, a folder again,
    // nothing) means it changed under the open: refused as well.
    if (c === 'ELOOP') throw new RefusedPathError(shown, `${shown} is a symbolic link`);
    if (c === 'ENOTDIR') {
      const now = await promised<{ isSymbolicLink(): boolean; isDirectory(): boolean }>((cb) =>
        lstat(at(dirFd, name), cb),
      ).catch(() => null);
      if (now === null || now.isSymbolicLink() || now.isDirectory())
        throw new RefusedPathError(shown, `${shown} is a symbolic link (or was swapped while opening)`);
    }
    throw err;
  }
}

function at(dirFd: number, name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/'))
    throw new RefusedPathError(name, 'not a plain name');
  return `${PROC_FD}/${dirFd}/${name}`;
}

function openFd(p: string, flags: number): Promise<number> {
  return promised<number>((cb) => open(p, flags, 0o666, cb));
}

function readlinkFd(fd: number): Promise<string> {
  return promised<string>((cb) => readlink(`${PROC_FD}/${fd}`, cb));
}

function readFd(fd: number, buf: Buffer, offset: number, length: number): Promise<number> {
  return promised<number>((cb) => read(fd, buf, offset, length, null, cb));
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function promised<T>(run: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}
