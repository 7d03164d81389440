import path from 'node:path';
import { rmdirConfined, unlinkConfined } from '../confined-open.js';
import { isInside } from '../paths.js';

export interface DeletionPlan {
  /** Absolute paths of the torrent's files, each strictly inside the save path. */
  files: string[];
  /** Folders of the torrent's layout, deepest first; removed only when empty. */
  dirs: string[];
  /** Torrent file paths that would resolve outside the save path (never touched). */
  refused: string[];
}

/**
 * What removing a torrent "with data" may delete: its own files below the save path and the
 * folders of its layout, never the save path itself nor anything outside it. Pure.
 */
export function planDeletion(savePath: string, filePaths: readonly string[]): DeletionPlan {
  const root = path.resolve(savePath);
  const files: string[] = [];
  const refused: string[] = [];
  const dirs = new Set<string>();
  for (const rel of filePaths) {
    const abs = path.resolve(root, rel);
    if (path.isAbsolute(rel) || rel.includes('\0') || abs === root || !isInside(root, abs)) {
      refused.push(rel);
      continue;
    }
    files.push(abs);
    for (let dir = path.dirname(abs); dir !== root && isInside(root, dir); dir = path.dirname(dir)) {
      dirs.add(dir);
    }
  }
  const deepestFirst = [...dirs].sort(
    (a, b) => b.split(path.sep).length - a.split(path.sep).length || (a < b ? -1 : 1),
  );
  return { files, dirs: deepestFirst, refused };
}

/**
 * Carry out a plan below the (real) share roots: unlink the files, then remove the layout's folders
 * that are now empty, each reached one folder at a time without following a link
 * (`confined-open.ts`): a folder of the layout swapped for a link out of the roots leads nowhere,
 * and a link in a file's place is removed, never followed. Folders are never removed recursively.
 * Returns how many files and folders were deleted; missing files are fine.
 */
export async function executeDeletion(
  plan: DeletionPlan,
  roots: readonly string[],
): Promise<{ files: number; dirs: number }> {
  let files = 0;
  let dirs = 0;
  for (const file of plan.files) {
    try {
      if (await unlinkConfined(roots, file)) files++;
    } catch (err) {
      // a folder where the torrent has a file (EISDIR, or EPERM on some systems): not the torrent's
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM') throw err;
    }
  }
  for (const dir of plan.dirs) {
    if (await rmdirConfined(roots, dir)) dirs++;
  }
  return { files, dirs };
}
