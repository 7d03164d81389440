import { readdir, stat } from 'node:fs/promises';
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
}

/**
 * The files of a torrent for `input`, in the order and with the names create-torrent 6 uses,
 * so both produce the same info-hash: a folder is walked depth-first with entries in byte order,
 * hidden (`.`) and junk entries (`Thumbs.db`, `foo~`, …) skipped, symlinks followed (a link back
 * into a folder already being walked is skipped), anything but regular files and folders ignored.
 */
export async function listSourceFiles(input: string): Promise<SourceLayout> {
  const root = path.resolve(input);
  const info = await stat(root);
  const name = path.basename(root);
  if (info.isFile()) {
    return { name, single: true, files: [{ abs: root, path: [name], length: info.size }], length: info.size };
  }
  if (!info.isDirectory()) throw new Error(`${root} is neither a file nor a folder`);
  const files: SourceFile[] = [];
  const walk = async (dir: string, rel: string[], ancestors: Set<string>): Promise<void> => {
    // libuv's scandir (behind fs.readdir) sorts entries by byte value; sort again to not depend on it.
    const entries = (await readdir(dir)).filter((e) => e[0] !== '.' && isNotJunk(e)).sort(byteOrder);
    for (const entry of entries) {
      const abs = path.join(dir, entry);
      const s = await stat(abs).catch(() => null); // a dangling symlink is skipped
      if (!s) continue;
      if (s.isDirectory()) {
        const id = `${s.dev}:${s.ino}`;
        if (ancestors.has(id)) continue;
        await walk(abs, [...rel, entry], new Set([...ancestors, id]));
      } else if (s.isFile()) {
        files.push({ abs, path: [...rel, entry], length: s.size });
      }
    }
  };
  await walk(root, [], new Set([`${info.dev}:${info.ino}`]));
  return { name, single: false, files, length: files.reduce((n, f) => n + f.length, 0) };
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
