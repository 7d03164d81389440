import { lstat, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
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
 * Carry out a plan: unlink the files (a symlink is removed, never followed; folders are never
 * removed recursively), then remove the layout's folders that are now empty.
 * Returns how many files were deleted; missing files are fine.
 */
export async function executeDeletion(plan: DeletionPlan): Promise<{ files: number; dirs: number }> {
  let files = 0;
  let dirs = 0;
  for (const file of plan.files) {
    const info = await lstat(file).catch(() => null);
    if (!info || info.isDirectory()) continue;
    await rm(file, { force: true });
    files++;
  }
  for (const dir of plan.dirs) {
    try {
      await rmdir(dir);
      dirs++;
    } catch {
      // not empty (other files live there) or already gone: keep it
    }
  }
  return { files, dirs };
}
