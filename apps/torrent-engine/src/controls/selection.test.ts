import { describe, expect, it } from 'vitest';
import {
  applyFileChanges,
  pieceRangesByPriority,
  priorityOf,
  wantedPieceRanges,
  wantedTotals,
} from './selection.js';

describe('file selection', () => {
  it('records changes as a sorted set of unwanted indexes, leaving unnamed files as they were', () => {
    expect(
      applyFileChanges(
        {},
        [
          { index: 2, wanted: false },
          { index: 0, wanted: false },
        ],
        3,
      ),
    ).toEqual({
      unwanted: [0, 2],
      high: [],
      low: [],
    });
    expect(applyFileChanges({ unwanted: [0, 2] }, [{ index: 0, wanted: true }], 3)).toEqual({
      unwanted: [2],
      high: [],
      low: [],
    });
    expect(applyFileChanges({ unwanted: [1] }, [{ index: 3, wanted: false }], 3)).toEqual({
      error: 'file index 3 out of range: the torrent has 3 files',
    });
  });

  it('records priorities as sets of high and low indexes; normal is neither, a selection keeps them', () => {
    const next = applyFileChanges(
      { high: [0], low: [1] },
      [
        { index: 2, priority: 'high' },
        { index: 0, priority: 'low' },
        { index: 1, priority: 'normal', wanted: false },
      ],
      3,
    );
    expect(next).toEqual({ unwanted: [1], high: [2], low: [0] });
    expect(applyFileChanges({ high: [2], low: [0] }, [{ index: 2, wanted: false }], 3)).toEqual({
      unwanted: [2],
      high: [2],
      low: [0],
    });
    const priority = priorityOf({ high: [2], low: [0] });
    expect([0, 1, 2].map(priority)).toEqual(['low', 'normal', 'high']);
  });

  it('splits the wanted pieces by file priority; a piece two files share is in both levels', () => {
    const files = [
      { length: 10, startPiece: 0, endPiece: 2 },
      { length: 10, startPiece: 2, endPiece: 5 },
      { length: 10, startPiece: 6, endPiece: 8 },
      { length: 0, startPiece: 8, endPiece: 8 },
      { length: 10, startPiece: 9, endPiece: 12 },
    ];
    expect(pieceRangesByPriority(files, { high: [4], low: [0, 1], unwanted: [2] })).toEqual({
      high: [[9, 12]],
      normal: [],
      low: [[0, 5]],
    });
    expect(pieceRangesByPriority(files, { high: [1] })).toEqual({
      high: [[2, 5]],
      normal: [
        [0, 2],
        [6, 12],
      ],
      low: [],
    });
  });

  it('counts progress and completion over the wanted files only', () => {
    const files = [
      { length: 100, downloaded: 100 },
      { length: 50, downloaded: 10 },
      { length: 30, downloaded: 30 },
    ];
    expect(wantedTotals(files, [])).toEqual({ size: 180, downloaded: 140, complete: false });
    expect(wantedTotals(files, [1])).toEqual({ size: 130, downloaded: 130, complete: true });
  });

  it('merges the piece ranges of wanted files and skips empty files', () => {
    const files = [
      { length: 10, startPiece: 0, endPiece: 2 },
      { length: 10, startPiece: 2, endPiece: 4 },
      { length: 0, startPiece: 4, endPiece: 4 },
      { length: 10, startPiece: 5, endPiece: 9 },
      { length: 10, startPiece: 9, endPiece: 12 },
    ];
    expect(wantedPieceRanges(files, [])).toEqual([[0, 12]]);
    expect(wantedPieceRanges(files, [1, 3])).toEqual([
      [0, 2],
      [9, 12],
    ]);
    expect(wantedPieceRanges(files, [0, 1, 3, 4])).toEqual([]);
  });
});
