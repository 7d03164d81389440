/** What the download queue needs to know about one torrent. */
export interface QueueCandidate {
  hash: string;
  addedAt: number;
  /** Queue order (Transmission's queue moves); the time added when never moved. */
  order?: number | undefined;
  /** Has (or may have, while the metadata is unknown) wanted bytes left to fetch. */
  incomplete: boolean;
  /** Stopped by the user: neither active nor queued. */
  paused: boolean;
  /** Failed: takes no slot. */
  failed: boolean;
}

/** Queue order: `order` (the time added unless moved), then hash, so the order is stable. */
export function queueCompare(
  a: Pick<QueueCandidate, 'hash' | 'addedAt' | 'order'>,
  b: Pick<QueueCandidate, 'hash' | 'addedAt' | 'order'>,
): number {
  return (a.order ?? a.addedAt) - (b.order ?? b.addedAt) || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
}

/**
 * Where a queue move puts a torrent: the new `order` of each torrent that changes (`up`/`down`
 * swap with the neighbour, `top`/`bottom` go before the first / after the last).
 */
export function queueMove(
  items: readonly Pick<QueueCandidate, 'hash' | 'addedAt' | 'order'>[],
  hash: string,
  to: 'top' | 'up' | 'down' | 'bottom',
): Map<string, number> {
  const sorted = [...items].sort(queueCompare);
  const i = sorted.findIndex((c) => c.hash === hash);
  const out = new Map<string, number>();
  if (i < 0) return out;
  const key = (c: (typeof sorted)[number]) => c.order ?? c.addedAt;
  if (to === 'top' && i > 0) out.set(hash, key(sorted[0]!) - 1);
  else if (to === 'bottom' && i < sorted.length - 1) out.set(hash, key(sorted.at(-1)!) + 1);
  else if (to === 'up' || to === 'down') {
    const j = to === 'up' ? i - 1 : i + 1;
    const other = sorted[j];
    if (!other) return out;
    const [a, b] = [key(sorted[i]!), key(other)];
    // Equal keys (same millisecond) are ordered by hash: step past the neighbour instead.
    out.set(hash, a === b ? b + (to === 'up' ? -0.5 : 0.5) : b);
    if (a !== b) out.set(other.hash, a);
  }
  return out;
}

/**
 * Which incomplete torrents may download now: the first `maxActive` in queue order (the time
 * they were added unless moved, then hash, so a queued torrent never overtakes an older one);
 * every other incomplete, unpaused torrent waits in state `queued`. Seeding torrents take no
 * slot. `maxActive` null = no limit.
 */
export function planQueue(
  candidates: readonly QueueCandidate[],
  maxActive: number | null,
): { active: Set<string>; queued: Set<string> } {
  const waiting = candidates
    .filter((c) => c.incomplete && !c.paused && !c.failed)
    .sort((a, b) => queueCompare(a, b));
  const slots = maxActive === null ? waiting.length : Math.max(0, maxActive);
  return {
    active: new Set(waiting.slice(0, slots).map((c) => c.hash)),
    queued: new Set(waiting.slice(slots).map((c) => c.hash)),
  };
}
