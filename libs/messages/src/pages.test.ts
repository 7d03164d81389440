import { describe, expect, it } from 'vitest';
import { chunkByBytes } from './pages.js';

describe('chunkByBytes', () => {
  it('cuts a list into runs within the budget, in order, an oversized item alone', () => {
    const items = ['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(30), 'd'.repeat(5)];
    // JSON of each: length + 2 quotes + 1 comma = 13, 13, 33, 8
    expect(chunkByBytes(items, 26)).toEqual([[items[0], items[1]], [items[2]], [items[3]]]);
    expect(chunkByBytes(items, 1000)).toEqual([items]);
    expect(chunkByBytes([], 10)).toEqual([]);
  });
});
