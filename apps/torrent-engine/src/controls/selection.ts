import type { FilePriority } from '@bitween/messages';

/** Indexes of unwanted files (what is persisted: usually empty, so records stay small). */
export type Unwanted = readonly number[];

/** What a torrent record keeps of its files: unwanted, high and low priority indexes (normal: none). */
export interface FileChoices {
  unwanted: number[];
  high: number[];
  low: number[];
}

/** Each file's priority (by index) from the record's sets. */
export function priorityOf(choices: {
  high?: Unwanted | undefined;
  low?: Unwanted | undefined;
}): (index: number) => FilePriority {
  const high = new Set(choices.high);
  const low = new Set(choices.low);
  return (i) => (high.has(i) ? 'high' : low.has(i) ? 'low' : 'normal');
}

/** Apply `engine.set-files` changes (selection and/or priority) to the persisted sets of indexes. */
export function applyFileChanges(
  current: { unwanted?: Unwanted | undefined; high?: Unwanted | undefined; low?: Unwanted | undefined },
  changes: readonly { index: number; wanted?: boolean | undefined; priority?: FilePriority | undefined }[],
  fileCount: number,
): FileChoices | { error: string } {
  const bad = changes.find((c) => c.index >= fileCount);
  if (bad) return { error: `file index ${bad.index} out of range: the torrent has ${fileCount} files` };
  const unwanted = new Set(current.unwanted);
  const high = new Set(current.high);
  const low = new Set(current.low);
  for (const c of changes) {
    if (c.wanted === true) unwanted.delete(c.index);
    if (c.wanted === false) unwanted.add(c.index);
    if (c.priority === undefined) continue;
    high.delete(c.index);
    low.delete(c.index);
    if (c.priority === 'high') high.add(c.index);
    if (c.priority === 'low') low.add(c.index);
  }
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return { unwanted: sorted(unwanted), high: sorted(high), low: sorted(low) };
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

export interface PieceSpan {
  length: number;
  startPiece: number;
  endPiece: number;
}

/** Inclusive piece ranges covering the wanted files, merged; what the engine asks peers for. */
export function wantedPieceRanges(files: readonly PieceSpan[], unwanted: Unwanted): [number, number][] {
  const skip = new Set(unwanted);
  return pieceRangesOf(files, (i) => !skip.has(i));
}

/**
 * The wanted files' piece ranges by priority, each level merged (a piece two files share may be
 * in two levels: it is fetched with the higher one).
 */
export function pieceRangesByPriority(
  files: readonly PieceSpan[],
  choices: { unwanted?: Unwanted | undefined; high?: Unwanted | undefined; low?: Unwanted | undefined },
): Record<FilePriority, [number, number][]> {
  const skip = new Set(choices.unwanted);
  const priority = priorityOf(choices);
  const at = (p: FilePriority) => (i: number) => !skip.has(i) && priority(i) === p;
  return {
    high: pieceRangesOf(files, at('high')),
    normal: pieceRangesOf(files, at('normal')),
    low: pieceRangesOf(files, at('low')),
  };
}

function pieceRangesOf(files: readonly PieceSpan[], include: (index: number) => boolean): [number, number][] {
  const ranges = files
    .filter((f, i) => include(i) && f.length > 0)
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
