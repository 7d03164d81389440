import type { FilePriority } from '@bitween/messages';
import type { Torrent } from 'webtorrent';

/** webtorrent 3.0.21 internals: the piece strategy and stream selections (torrent.js, selections.js). */
interface OrderedTorrent {
  strategy: 'sequential' | 'rarest';
  readonly files: readonly { length: number; _startPiece: number; _endPiece: number }[];
  readonly pieces: readonly unknown[];
  readonly _selections: { _items: { isStreamSelection?: boolean; priority: number }[] };
  _select(from: number, to: number, priority: number, notify: null, isStreamSelection: true): void;
  deselect(from: number, to: number): void;
}

/**
 * The webtorrent priority of the selections that order the files (high, normal, low). Below
 * streams and first-and-last pieces (priority 1: `file-streams.ts`, `firstAndLastPiecesFirst`),
 * so a stream's reads always come first; and 0, which webtorrent never rotates (it rotates
 * selections of non-zero priority among themselves after filling a peer's requests).
 */
const FILE_ORDER = 0;

/** The piece strategy of a torrent record: in order unless `sequential` is false. */
export function strategyOf(record: { sequential?: boolean | undefined }): 'sequential' | 'rarest' {
  return record.sequential === false ? 'rarest' : 'sequential';
}

export function setStrategy(torrent: Torrent, sequential: boolean): void {
  (torrent as unknown as OrderedTorrent).strategy = sequential ? 'sequential' : 'rarest';
}

export function isSequential(torrent: Torrent): boolean {
  return (torrent as unknown as OrderedTorrent).strategy !== 'rarest';
}

/**
 * The first and last piece of every wanted file before the rest (a video whose index sits at
 * its end can start playing): each is a selection of higher priority than the engine's own,
 * dropped by webtorrent once the piece is verified.
 */
export function firstAndLastPiecesFirst(torrent: Torrent, unwanted: readonly number[]): void {
  const t = torrent as unknown as OrderedTorrent;
  const skip = new Set(unwanted);
  t.files.forEach((f, i) => {
    if (skip.has(i) || f.length === 0) return;
    t._select(f._startPiece, f._startPiece, 1, null, true);
    if (f._endPiece !== f._startPiece) t._select(f._endPiece, f._endPiece, 1, null, true);
  });
}

/**
 * Ask for the wanted files' pieces by file priority: high, then normal, then low (Transmission's
 * file priorities). webtorrent walks its selections in order (sorted by priority, stably) and
 * merges adjacent plain selections into one, so each level is a separate selection flagged as
 * a stream's (never merged) at priority 0, inserted in level order, instead of plain ones
 * (webtorrent's own, every piece, is dropped; a piece that fails its hash is selected again by
 * webtorrent after these, and is still inside its level's range). Stream reads stay above.
 */
export function selectByPriority(torrent: Torrent, ranges: Record<FilePriority, [number, number][]>): void {
  const t = torrent as unknown as OrderedTorrent;
  const items = t._selections._items;
  for (let i = items.length - 1; i >= 0; i--) {
    const s = items[i]!;
    if (s.isStreamSelection && s.priority === FILE_ORDER) items.splice(i, 1);
  }
  t.deselect(0, t.pieces.length - 1);
  for (const level of ['high', 'normal', 'low'] as const) {
    for (const [from, to] of ranges[level]) t._select(from, to, FILE_ORDER, null, true);
  }
}
