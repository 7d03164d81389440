import type { FriendShare } from '../types.js';

/**
 * Shares in `after` that were not in `before` (by info-hash): what friends newly offer. The
 * first load (`before` null) is nothing new.
 */
export function newShares(
  before: readonly FriendShare[] | null,
  after: readonly FriendShare[],
): FriendShare[] {
  if (before === null) return [];
  const known = new Set(before.map((s) => s.hash));
  return after.filter((s) => !known.has(s.hash));
}
