import { describe, expect, it } from 'vitest';
import { nextIndex, scrollToShow, visibleRange } from './window.js';

describe('visibleRange', () => {
  it('renders the visible rows plus overscan, clamped to the list', () => {
    expect(visibleRange({ scrollTop: 0, viewport: 360, rowHeight: 36, count: 5000, overscan: 5 })).toEqual({
      start: 0,
      end: 16,
    });
    expect(visibleRange({ scrollTop: 3600, viewport: 360, rowHeight: 36, count: 5000, overscan: 5 })).toEqual(
      {
        start: 95,
        end: 116,
      },
    );
    expect(
      visibleRange({ scrollTop: 5000 * 36 - 360, viewport: 360, rowHeight: 36, count: 5000, overscan: 5 }),
    ).toEqual({ start: 4985, end: 5000 });
  });

  it('renders nothing for an empty list or an unmeasured row, and a short list whole', () => {
    expect(visibleRange({ scrollTop: 0, viewport: 360, rowHeight: 36, count: 0 })).toEqual({
      start: 0,
      end: 0,
    });
    expect(visibleRange({ scrollTop: 0, viewport: 360, rowHeight: 0, count: 9 })).toEqual({
      start: 0,
      end: 0,
    });
    expect(visibleRange({ scrollTop: 0, viewport: 360, rowHeight: 36, count: 3 })).toEqual({
      start: 0,
      end: 3,
    });
  });

  it('survives a scroll position past the end (the list shrank under it)', () => {
    const r = visibleRange({ scrollTop: 1e6, viewport: 360, rowHeight: 36, count: 10, overscan: 2 });
    expect(r.end).toBe(10);
    expect(r.start).toBeLessThanOrEqual(r.end);
  });
});

describe('scrollToShow', () => {
  it('scrolls up or down just enough, else stays', () => {
    expect(scrollToShow(10, 720, 360, 36)).toBe(360);
    expect(scrollToShow(30, 720, 360, 36)).toBe(31 * 36 - 360);
    expect(scrollToShow(22, 720, 360, 36)).toBe(720);
  });
});

describe('nextIndex', () => {
  it('moves by row, page, to the ends; the first arrow selects the first row', () => {
    expect(nextIndex('ArrowDown', -1, 10, 5)).toBe(0);
    expect(nextIndex('ArrowUp', -1, 10, 5)).toBe(0);
    expect(nextIndex('ArrowDown', 9, 10, 5)).toBe(9);
    expect(nextIndex('ArrowUp', 0, 10, 5)).toBe(0);
    expect(nextIndex('PageDown', 0, 10, 5)).toBe(4);
    expect(nextIndex('PageUp', 6, 10, 5)).toBe(2);
    expect(nextIndex('End', 0, 10, 5)).toBe(9);
    expect(nextIndex('Home', 7, 10, 5)).toBe(0);
    expect(nextIndex('Enter', 3, 10, 5)).toBeNull();
    expect(nextIndex('ArrowDown', 0, 0, 5)).toBeNull();
  });
});
