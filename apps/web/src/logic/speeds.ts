import { formatRate } from './format.js';
import type { Torrent } from '../types.js';

/** Total rates of every torrent, bytes/s. */
export interface Totals {
  down: number;
  up: number;
}

export function totalSpeeds(all: Iterable<Pick<Torrent, 'downloadSpeed' | 'uploadSpeed'>>): Totals {
  let down = 0;
  let up = 0;
  for (const t of all) {
    down += t.downloadSpeed;
    up += t.uploadSpeed;
  }
  return { down, up };
}

/** The last `size` samples of the totals, oldest first (a new array per push, for signals). */
export function pushSample(history: readonly Totals[], sample: Totals, size: number): Totals[] {
  const next = history.length >= size ? history.slice(history.length - size + 1) : history.slice();
  next.push(sample);
  return next;
}

/**
 * SVG polyline points of one series in a `width` × `height` box, right-aligned (the newest
 * sample at the right edge, `slots` samples across), scaled to `max` (at least 1).
 */
export function sparkline(
  values: readonly number[],
  slots: number,
  width: number,
  height: number,
  max: number,
): string {
  if (values.length === 0 || slots < 2) return '';
  const top = Math.max(1, max);
  const step = width / (slots - 1);
  const offset = slots - values.length;
  return values
    .map((v, i) => {
      const x = (offset + i) * step;
      const y = height - (Math.min(Math.max(v, 0), top) / top) * height;
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The page title: the rates while data moves (as Transmission and qBittorrent do), else the name. */
export function pageTitle(t: Totals, offline: boolean): string {
  const base = offline ? 'bitween (offline)' : 'bitween';
  if (t.down <= 0 && t.up <= 0) return base;
  return `↓ ${formatRate(t.down)} ↑ ${formatRate(t.up)} · ${base}`;
}
