/** What the download queue needs to know about one torrent. */
export interface QueueCandidate {
  hash: string;
  addedAt: number;
  /** Has (or may have, while the metadata is unknown) wanted bytes left to fetch. */
  incomplete: boolean;
  /** Stopped by the user: neither active nor queued. */
  paused: boolean;
  /** Failed: takes no slot. */
  failed: boolean;
}

/**
 * Which incomplete torrents may download now: the oldest `maxActive` (by the time they were
 * added, then hash, so the order is stable and a queued torrent never overtakes an older one);
 * every other incomplete, unpaused torrent waits in state `queued`. Seeding torrents take no
 * slot. `maxActive` null = no limit.
 */
export function planQueue(
  candidates: readonly QueueCandidate[],
  maxActive: number | null,
): { active: Set<string>; queued: Set<string> } {
  const waiting = candidates
    .filter((c) => c.incomplete && !c.paused && !c.failed)
    .sort((a, b) => a.addedAt - b.addedAt || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const slots = maxActive === null ? waiting.length : Math.max(0, maxActive);
  return {
    active: new Set(waiting.slice(0, slots).map((c) => c.hash)),
    queued: new Set(waiting.slice(slots).map((c) => c.hash)),
  };
}
