import { displayName } from './torrents.js';
import type { Torrent } from '../types.js';

/** What the torrents list shows: filters and order (pure: filtered and sorted here, rendered by the view). */
export interface ListQuery {
  state: StateFilter;
  /** Words that must all occur in the name (any case); empty: every torrent. */
  name: string;
  /** A label the torrent must carry; '' = any (only when the daemon reports labels). */
  label: string;
  sort: SortKey;
  descending: boolean;
}

export type StateFilter = 'all' | 'active' | 'downloading' | 'seeding' | 'paused' | 'waiting' | 'error';
export type SortKey = 'name' | 'size' | 'progress' | 'downloadSpeed' | 'uploadSpeed' | 'addedAt';

export const STATE_FILTERS: [StateFilter, string][] = [
  ['all', 'All'],
  ['active', 'Active (moving data)'],
  ['downloading', 'Downloading'],
  ['seeding', 'Seeding'],
  ['paused', 'Paused'],
  ['waiting', 'Waiting (metadata, checking, queued)'],
  ['error', 'Error'],
];

export const SORT_KEYS: [SortKey, string][] = [
  ['addedAt', 'Added'],
  ['name', 'Name'],
  ['size', 'Size'],
  ['progress', 'Progress'],
  ['downloadSpeed', 'Down speed'],
  ['uploadSpeed', 'Up speed'],
];

export const DEFAULT_QUERY: ListQuery = {
  state: 'all',
  name: '',
  label: '',
  sort: 'addedAt',
  descending: true,
};

/** Labels, where the daemon reports them (Transmission-style `labels`); absent on older daemons. */
export function labelsOf(t: Torrent): readonly string[] {
  return t.labels ?? [];
}

export function matchesState(t: Torrent, f: StateFilter): boolean {
  switch (f) {
    case 'all':
      return true;
    case 'active':
      return t.downloadSpeed > 0 || t.uploadSpeed > 0;
    case 'waiting':
      return t.state === 'metadata' || t.state === 'checking' || t.state === 'queued';
    default:
      return t.state === f;
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: Torrent, b: Torrent, key: SortKey): number {
  switch (key) {
    case 'name':
      return collator.compare(displayName(a), displayName(b));
    case 'size':
      return (a.size ?? -1) - (b.size ?? -1);
    default:
      return a[key] - b[key];
  }
}

/** The torrents to show, in order. Ties are broken by hash, so the order is stable across updates. */
export function queryTorrents(all: Iterable<Torrent>, q: ListQuery): Torrent[] {
  const words = q.name.toLowerCase().split(/\s+/).filter(Boolean);
  const out: Torrent[] = [];
  for (const t of all) {
    if (!matchesState(t, q.state)) continue;
    if (q.label && !labelsOf(t).includes(q.label)) continue;
    if (words.length > 0) {
      const name = displayName(t).toLowerCase();
      if (!words.every((w) => name.includes(w) || t.hash.startsWith(w))) continue;
    }
    out.push(t);
  }
  const sign = q.descending ? -1 : 1;
  return out.sort((a, b) => sign * compare(a, b, q.sort) || a.hash.localeCompare(b.hash));
}

/** Every label carried by some torrent, sorted (for the label filter). */
export function allLabels(all: Iterable<Torrent>): string[] {
  const seen = new Set<string>();
  for (const t of all) for (const l of labelsOf(t)) seen.add(l);
  return [...seen].sort(collator.compare);
}
