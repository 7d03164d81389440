/**
 * Windowing of a list of fixed-height rows: which rows to render for a scroll position, and
 * where to scroll to show one row. Pure (unit-tested); the view measures and renders.
 *
 * Hand-written rather than a library (@tanstack/virtual-core, react-window): every row has the
 * same height (a dense table; the height comes from CSS per breakpoint), so the whole job is
 * the two functions below, and the UI stays free of a dependency for it.
 */

export interface WindowInput {
  scrollTop: number;
  /** Visible height of the scroller, px. */
  viewport: number;
  rowHeight: number;
  count: number;
  /** Extra rows rendered above and below (smooth scrolling); default 8. */
  overscan?: number;
}

/** Rows [start, end) to render. */
export function visibleRange({ scrollTop, viewport, rowHeight, count, overscan = 8 }: WindowInput): {
  start: number;
  end: number;
} {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + shown + overscan);
  return { start, end };
}

/** The scrollTop that shows row `index` whole (unchanged when it already is). */
export function scrollToShow(index: number, scrollTop: number, viewport: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return Math.max(0, bottom - viewport);
  return scrollTop;
}

/** The row index a key moves the selection to (null: not a navigation key). */
export function nextIndex(key: string, current: number, count: number, pageRows: number): number | null {
  if (count === 0) return null;
  const last = count - 1;
  const from = current < 0 ? -1 : Math.min(current, last);
  switch (key) {
    case 'ArrowDown':
      return Math.min(last, from + 1);
    case 'ArrowUp':
      return from < 0 ? 0 : Math.max(0, from - 1);
    case 'PageDown':
      return Math.min(last, Math.max(0, from) + Math.max(1, pageRows - 1));
    case 'PageUp':
      return Math.max(0, from - Math.max(1, pageRows - 1));
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return null;
  }
}
