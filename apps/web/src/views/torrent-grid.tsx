import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { isolate } from '@bitween/safe-text';
import { formatBytes, formatEta, formatPercent, formatRate } from '../logic/format.js';
import { canPause, displayName, STATE_LABELS } from '../logic/torrents.js';
import { nextIndex, scrollToShow, visibleRange } from '../logic/window.js';
import type { SortKey } from '../logic/torrent-list.js';
import type { Torrent } from '../types.js';

const COLUMNS: { key: SortKey | null; label: string; cls: string }[] = [
  { key: 'name', label: 'Name', cls: 'c-name' },
  { key: null, label: 'State', cls: 'c-state' },
  { key: 'progress', label: 'Progress', cls: 'c-progress' },
  { key: 'size', label: 'Size', cls: 'c-size' },
  { key: 'downloadSpeed', label: 'Down', cls: 'c-down' },
  { key: 'uploadSpeed', label: 'Up', cls: 'c-up' },
  { key: null, label: 'Peers', cls: 'c-peers' },
  { key: null, label: 'ETA', cls: 'c-eta' },
  { key: null, label: 'Actions', cls: 'c-actions' },
];

export interface GridProps {
  list: readonly Torrent[];
  selected: string | null;
  sort: SortKey;
  descending: boolean;
  onSort(key: SortKey): void;
  onSelect(hash: string): void;
  /** Enter or double click on a row, or its Files button: open the details. */
  onOpen(hash: string, part?: 'files'): void;
  onPauseResume(t: Torrent): void;
  busy: ReadonlySet<string>;
}

/**
 * The torrents as a dense, virtualised grid: only the rows in view (plus a few) are in the DOM,
 * so 5,000 torrents scroll like 50. Rows have one height (CSS `--row-h`, per breakpoint). The
 * grid takes the focus as a whole (one Tab stop); arrow keys, Page Up/Down, Home and End move
 * the selection (aria-activedescendant), Enter opens the details.
 */
export function TorrentGrid(p: GridProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [rowHeight, setRowHeight] = useState(40);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => {
      setViewport(el.clientHeight);
      const h = parseFloat(getComputedStyle(el).getPropertyValue('--row-h'));
      if (Number.isFinite(h) && h > 0) setRowHeight(h);
      setScrollTop(el.scrollTop);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const count = p.list.length;
  const { start, end } = visibleRange({ scrollTop, viewport, rowHeight, count });
  const selectedIndex = p.selected === null ? -1 : p.list.findIndex((t) => t.hash === p.selected);
  const activeId =
    selectedIndex >= start && selectedIndex < end && p.selected ? `row-${p.selected}` : undefined;

  const onKeyDown = (e: KeyboardEvent) => {
    const el = scroller.current;
    if (!el || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Enter' && p.selected) {
      e.preventDefault();
      p.onOpen(p.selected);
      return;
    }
    const pageRows = Math.max(1, Math.floor(viewport / rowHeight));
    const i = nextIndex(e.key, selectedIndex, count, pageRows);
    if (i === null) return;
    e.preventDefault();
    const t = p.list[i];
    if (!t) return;
    p.onSelect(t.hash);
    const top = scrollToShow(i, el.scrollTop, viewport, rowHeight);
    if (top !== el.scrollTop) {
      el.scrollTop = top;
      setScrollTop(top);
    }
  };

  return (
    <div
      class="tgrid"
      role="grid"
      aria-label="Torrents"
      aria-rowcount={count + 1}
      aria-colcount={COLUMNS.length}
    >
      <div class="trow thead" role="row" aria-rowindex={1}>
        {COLUMNS.map((c) => (
          <div
            key={c.label}
            role="columnheader"
            class={c.cls}
            aria-sort={c.key && c.key === p.sort ? (p.descending ? 'descending' : 'ascending') : undefined}
          >
            {c.key ? (
              <button type="button" class="sort" onClick={() => p.onSort(c.key as SortKey)}>
                {c.label}
                {c.key === p.sort ? (p.descending ? ' ▼' : ' ▲') : ''}
              </button>
            ) : (
              c.label
            )}
          </div>
        ))}
      </div>
      <div
        ref={scroller}
        class="tbody"
        tabIndex={0}
        role="rowgroup"
        aria-activedescendant={activeId}
        aria-label={`Torrents, ${count} rows: arrow keys move, Enter opens the details`}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKeyDown}
      >
        <div class="tspace" style={{ height: `${count * rowHeight}px` }}>
          {p.list.slice(start, end).map((t, k) => (
            <Row
              key={t.hash}
              t={t}
              index={start + k}
              top={(start + k) * rowHeight}
              selected={t.hash === p.selected}
              busy={p.busy.has(t.hash)}
              grid={p}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

function Row({
  t,
  index,
  top,
  selected,
  busy,
  grid,
}: {
  t: Torrent;
  index: number;
  top: number;
  selected: boolean;
  busy: boolean;
  grid: GridProps;
}) {
  const shown = displayName(t);
  const name = isolate(shown);
  const pause = canPause(t);
  return (
    <div
      id={`row-${t.hash}`}
      role="row"
      class={selected ? 'trow torrent selected' : 'trow torrent'}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-hash={t.hash}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => grid.onSelect(t.hash)}
      onDblClick={() => grid.onOpen(t.hash)}
    >
      <div role="gridcell" class="c-name" title={shown}>
        <bdi>{shown}</bdi>
      </div>
      <div role="gridcell" class="c-state">
        <span class={`badge state-${t.state}`}>{STATE_LABELS[t.state]}</span>
      </div>
      <div role="gridcell" class="c-progress">
        <progress max={1} value={t.progress} aria-label={`Progress of ${name}`} />
        <span class="pct">{formatPercent(t.progress)}</span>
      </div>
      <div role="gridcell" class="c-size">
        {formatBytes(t.size)}
      </div>
      <div role="gridcell" class="c-down">
        <span class="sr">down </span>
        {formatRate(t.downloadSpeed)}
      </div>
      <div role="gridcell" class="c-up">
        <span class="sr">up </span>
        {formatRate(t.uploadSpeed)}
      </div>
      <div role="gridcell" class="c-peers">
        {t.peers}
      </div>
      <div role="gridcell" class="c-eta">
        {t.done ? 'done' : formatEta(t.eta)}
      </div>
      <div role="gridcell" class="c-actions">
        <button
          type="button"
          tabIndex={-1}
          disabled={busy}
          aria-label={`${pause ? 'Pause' : 'Resume'} ${name}`}
          onClick={(e) => {
            e.stopPropagation();
            grid.onPauseResume(t);
          }}
        >
          {pause ? 'Pause' : 'Resume'}
        </button>
        <button
          type="button"
          tabIndex={-1}
          aria-label={`Files of ${name}`}
          onClick={(e) => {
            e.stopPropagation();
            grid.onOpen(t.hash, 'files');
          }}
        >
          Files
        </button>
      </div>
    </div>
  );
}
