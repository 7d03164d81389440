import type { Torrent } from 'webtorrent';

/** webtorrent 3.0.21 internals: the piece strategy and stream selections (torrent.js). */
interface OrderedTorrent {
  strategy: 'sequential' | 'rarest';
  readonly files: readonly { length: number; _startPiece: number; _endPiece: number }[];
  _select(from: number, to: number, priority: number, notify: null, isStreamSelection: true): void;
}

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
