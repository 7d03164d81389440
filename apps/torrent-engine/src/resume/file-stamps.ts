import { stat } from 'node:fs/promises';
import path from 'node:path';

/** Size and modification time (ns) of a file; null when it does not exist. */
export interface FileStamp {
  size: number;
  mtimeNs: string;
}

/** Stamps of the torrent's files (paths relative to its save path), in torrent order. */
export async function stampFiles(savePath: string, files: readonly string[]): Promise<(FileStamp | null)[]> {
  return Promise.all(
    files.map(async (rel) => {
      try {
        const s = await stat(path.join(savePath, rel), { bigint: true });
        return { size: Number(s.size), mtimeNs: s.mtimeNs.toString() };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    }),
  );
}

/** The first file whose stamp differs, or null when all are as they were. */
export function firstChanged(
  files: readonly string[],
  saved: readonly (FileStamp | null)[],
  now: readonly (FileStamp | null)[],
): string | null {
  for (let i = 0; i < files.length; i++) {
    const a = saved[i];
    const b = now[i];
    if (a === undefined || b === undefined) return files[i]!;
    if (a === null || b === null ? a !== b : a.size !== b.size || a.mtimeNs !== b.mtimeNs) return files[i]!;
  }
  return null;
}
