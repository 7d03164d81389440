import { describe, expect, it } from 'vitest';
import { pieceLengthFor } from './piece-length.js';

const MiB = 1024 * 1024;

describe('pieceLengthFor', () => {
  it.each([
    [0, 256 * 1024],
    [64 * MiB, 256 * 1024],
    [1024 * MiB, MiB],
    [100 * 1024 * MiB, 16 * MiB],
  ])('%d bytes → %d', (size, expected) => expect(pieceLengthFor(size)).toBe(expected));

  it('is always a power of two', () => {
    for (const size of [1, 5 * MiB, 777 * MiB, 3000 * MiB]) {
      const l = pieceLengthFor(size);
      expect(l & (l - 1)).toBe(0);
    }
  });
});
