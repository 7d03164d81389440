import { describe, expect, it } from 'vitest';
import { pageTitle, pushSample, sparkline, totalSpeeds } from './speeds.js';

describe('speeds', () => {
  it('adds up every torrent', () => {
    expect(
      totalSpeeds([
        { downloadSpeed: 1024, uploadSpeed: 0 },
        { downloadSpeed: 512, uploadSpeed: 2048 },
      ]),
    ).toEqual({ down: 1536, up: 2048 });
    expect(totalSpeeds([])).toEqual({ down: 0, up: 0 });
  });

  it('keeps the last samples only', () => {
    let h = pushSample([], { down: 1, up: 0 }, 3);
    h = pushSample(h, { down: 2, up: 0 }, 3);
    h = pushSample(h, { down: 3, up: 0 }, 3);
    const before = h;
    h = pushSample(h, { down: 4, up: 0 }, 3);
    expect(h.map((s) => s.down)).toEqual([2, 3, 4]);
    expect(before.map((s) => s.down)).toEqual([1, 2, 3]);
  });

  it('draws the newest sample at the right edge, scaled to the maximum', () => {
    expect(sparkline([0, 5, 10], 3, 100, 20, 10)).toBe('0,20 50,10 100,0');
    expect(sparkline([10], 3, 100, 20, 10)).toBe('100,0');
    expect(sparkline([0, 0], 3, 100, 20, 0)).toBe('50,20 100,20');
    expect(sparkline([], 3, 100, 20, 10)).toBe('');
  });

  it('puts the rates into the title while data moves', () => {
    expect(pageTitle({ down: 0, up: 0 }, false)).toBe('bitween');
    expect(pageTitle({ down: 1536, up: 0 }, false)).toBe('↓ 1.50 KiB/s ↑ 0 B/s · bitween');
    expect(pageTitle({ down: 0, up: 0 }, true)).toBe('bitween (offline)');
  });
});
