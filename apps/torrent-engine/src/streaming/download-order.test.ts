import { describe, expect, it } from 'vitest';
import type { Torrent } from 'webtorrent';
import { firstAndLastPiecesFirst, isSequential, setStrategy, strategyOf } from './download-order.js';

/** The part of a webtorrent torrent these functions touch, recording its stream selections. */
function fakeTorrent(files: { length: number; _startPiece: number; _endPiece: number }[]) {
  const selected: [number, number, number, boolean][] = [];
  const t = {
    strategy: 'sequential',
    files,
    _select: (from: number, to: number, priority: number, _notify: null, stream: boolean) =>
      selected.push([from, to, priority, stream]),
  };
  return { torrent: t as unknown as Torrent, selected, raw: t };
}

describe('download order', () => {
  it('is in order unless a record says sequential: false', () => {
    expect(strategyOf({})).toBe('sequential');
    expect(strategyOf({ sequential: true })).toBe('sequential');
    expect(strategyOf({ sequential: false })).toBe('rarest');
    const { torrent, raw } = fakeTorrent([]);
    setStrategy(torrent, false);
    expect(raw.strategy).toBe('rarest');
    expect(isSequential(torrent)).toBe(false);
    setStrategy(torrent, true);
    expect(isSequential(torrent)).toBe(true);
  });

  it('raises the first and last piece of every wanted, non-empty file', () => {
    const { torrent, selected } = fakeTorrent([
      { length: 100, _startPiece: 0, _endPiece: 3 },
      { length: 0, _startPiece: 3, _endPiece: 3 },
      { length: 50, _startPiece: 3, _endPiece: 3 },
      { length: 500, _startPiece: 4, _endPiece: 9 },
    ]);
    firstAndLastPiecesFirst(torrent, [3]);
    expect(selected).toEqual([
      [0, 0, 1, true],
      [3, 3, 1, true],
      [3, 3, 1, true],
    ]);
  });
});
