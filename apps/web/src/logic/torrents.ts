import { displayName as cleanDisplayName } from '@bitween/safe-text';
import type { Torrent, TorrentProgress } from '../types.js';

/** Torrents by hash, as the UI holds them (a new Map on every change, for signals). */
export type TorrentMap = ReadonlyMap<string, Torrent>;

export function fromList(list: readonly Torrent[]): TorrentMap {
  return new Map(list.map((t) => [t.hash, t]));
}

/** A progress event merged into the torrent it belongs to; unknown hashes are ignored (an added event or a reload brings them). */
export function applyProgress(map: TorrentMap, p: TorrentProgress): TorrentMap {
  const t = map.get(p.hash);
  if (!t) return map;
  const next = new Map(map);
  next.set(p.hash, { ...t, ...p });
  return next;
}

/**
 * Several progress events merged at once (one new Map for a burst, not one per event: with
 * thousands of torrents a copy per event is what costs). `unknown` lists hashes not held.
 */
export function applyProgressBatch(
  map: TorrentMap,
  list: readonly TorrentProgress[],
): { map: TorrentMap; unknown: string[]; changed: { before: Torrent; after: Torrent }[] } {
  const unknown: string[] = [];
  const changed: { before: Torrent; after: Torrent }[] = [];
  if (list.length === 0) return { map, unknown, changed };
  const next = new Map(map);
  for (const p of list) {
    const before = next.get(p.hash);
    if (!before) {
      unknown.push(p.hash);
      continue;
    }
    const after = { ...before, ...p };
    next.set(p.hash, after);
    changed.push({ before, after });
  }
  return { map: changed.length > 0 ? next : map, unknown, changed };
}

export function upsert(map: TorrentMap, t: Torrent): TorrentMap {
  const next = new Map(map);
  next.set(t.hash, t);
  return next;
}

export function without(map: TorrentMap, hash: string): TorrentMap {
  if (!map.has(hash)) return map;
  const next = new Map(map);
  next.delete(hash);
  return next;
}

/** Newest first: what the user just added is on top. */
export function sortedTorrents(map: TorrentMap): Torrent[] {
  return [...map.values()].sort((a, b) => b.addedAt - a.addedAt || a.hash.localeCompare(b.hash));
}

/** Whether pause or resume applies in this state (paused torrents resume; errors can be retried). */
export function canPause(t: Pick<Torrent, 'state'>): boolean {
  return t.state !== 'paused' && t.state !== 'error';
}

export const STATE_LABELS: Record<Torrent['state'], string> = {
  metadata: 'finding metadata',
  checking: 'checking',
  queued: 'queued',
  paused: 'paused',
  downloading: 'downloading',
  seeding: 'seeding',
  error: 'error',
};

/** A torrent's display name: its name, or the hash while the metadata is unknown. */
/** The torrent's name as shown (cleaned: see logic/names.ts), or its hash while the metadata is missing. */
export function displayName(t: Pick<Torrent, 'name' | 'hash'>): string {
  return t.name === null ? `${t.hash.slice(0, 12)}… (waiting for metadata)` : cleanDisplayName(t.name);
}
