/** Indexes of unwanted files (what is persisted: usually empty, so records stay small). */
export type Unwanted = readonly number[];

/** Apply `engine.set-files` changes to the persisted set of unwanted file indexes. */
export function applyFileChanges(
  unwanted: Unwanted,
  changes: readonly { index: number; wanted: boolean }[],
  fileCount: number,
): { unwanted: number[] } | { error: string } {
  const bad = changes.find((c) => c.index >= fileCount);
  if (bad) return { error: `file index ${bad.index} out of range: the torrent has ${fileCount} files` };
  const set = new Set(unwanted);
  for (const c of changes) {
    if (c.wanted) set.delete(c.index);
    else set.add(c.index);
  }
  return { unwanted: [...set].sort((a, b) => a - b) };
}

export interface FileSpan {
  length: number;
  /** Verified bytes of this file. */
  downloaded: number;
}

/** Bytes and completion over the wanted files only (what progress, ETA and "done" mean). */
export function wantedTotals(
  files: readonly FileSpan[],
  unwanted: Unwanted,
): { size: number; downloaded: number; complete: boolean } {
  const skip = new Set(unwanted);
  let size = 0;
  let downloaded = 0;
  files.forEach((f, i) => {
    if (skip.has(i)) return;
    size += f.length;
    downloaded += Math.min(f.downloaded, f.length);
  });
  return { size, downloaded, complete: downloaded >= size };
}

/** Inclusive piece ranges covering the wanted files, merged; what the engine asks peers for. */
export function wantedPieceRanges(
  files: readonly { length: number; startPiece: number; endPiece: number }[],
  unwanted: Unwanted,
): [number, number][] {
  const skip = new Set(unwanted);
  const ranges = files
    .filter((f, i) => !skip.has(i) && f.length > 0)
    .map((f): [number, number] => [f.startPiece, f.endPiece])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** True when every piece of the ranges is verified. */
export function rangesComplete(
  ranges: readonly [number, number][],
  has: (piece: number) => boolean,
): boolean {
  for (const [from, to] of ranges) for (let i = from; i <= to; i++) if (!has(i)) return false;
  return true;
}
