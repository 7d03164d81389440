import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotJunk } from 'junk';

/** A file of a torrent being created: where it is, and its path inside the torrent. */
export interface SourceFile {
  /** Absolute path on disk. */
  abs: string;
  /** Path components below the torrent's name (a single-file torrent: just its name). */
  path: string[];
  length: number;
}

export interface SourceLayout {
  /** `info.name`: the base name of the shared file or folder. */
  name: string;
  /** A single file (`info.length`) rather than a folder (`info.files`). */
  single: boolean;
  files: SourceFile[];
  length: number;
  /** Entries of the folder left out because they are symbolic links or special files (absolute). */
  skipped: { abs: string; kind: 'symlink' | 'special' }[];
}

/**
 * The files of a torrent for `input`, in the order and with the names create-torrent 6 uses,
 * so both produce the same info-hash for a folder without links: a folder is walked depth-first
 * with entries in byte order, hidden (`.`) and junk entries (`Thumbs.db`, `foo~`, …) skipped.
 *
 * Symbolic links are never followed (create-torrent follows them): a link inside a shared folder
 * is left out, wherever it points, and so is anything but regular files and folders (FIFOs,
 * sockets, devices); they are listed in `skipped`. `input` itself must not be a link (callers
 * pass its real path). Files are opened for hashing later, below the share roots and again
 * without following links (confined-open.ts): a link swapped in meanwhile fails the hashing.
 */
export async function listSourceFiles(input: string): Promise<SourceLayout> {
  const root = path.resolve(input);
  const info = await lstat(root);
  const name = path.basename(root);
  if (info.isSymbolicLink()) throw new Error(`${root} is a symbolic link`);
  if (info.isFile()) {
    return {
      name,
      single: true,
      files: [{ abs: root, path: [name], length: info.size }],
      length: info.size,
      skipped: [],
    };
  }
  if (!info.isDirectory()) throw new Error(`${root} is neither a file nor a folder`);
  const files: SourceFile[] = [];
  const skipped: SourceLayout['skipped'] = [];
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    // libuv's scandir (behind fs.readdir) sorts entries by byte value; sort again to not depend on it.
    const entries = (await readdir(dir)).filter((e) => e[0] !== '.' && isNotJunk(e)).sort(byteOrder);
    for (const entry of entries) {
      const abs = path.join(dir, entry);
      const s = await lstat(abs).catch(() => null); // vanished meanwhile
      if (!s) continue;
      if (s.isSymbolicLink()) skipped.push({ abs, kind: 'symlink' });
      else if (s.isDirectory()) await walk(abs, [...rel, entry]);
      else if (s.isFile()) files.push({ abs, path: [...rel, entry], length: s.size });
      else skipped.push({ abs, kind: 'special' });
    }
  };
  await walk(root, []);
  return { name, single: false, files, length: files.reduce((n, f) => n + f.length, 0), skipped };
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
