import type { FriendShare } from '../types.js';

/** One friend offering a share: their instances (resources) folded into one line. */
export interface Offer {
  jid: string;
  /** At least one of their instances offering it is online. */
  online: boolean;
  resources: string[];
}

/**
 * The friends offering a share, one per JID (a friend running two instances is one friend),
 * online ones first, then by JID.
 */
export function offersOf(share: FriendShare): Offer[] {
  const byJid = new Map<string, Offer>();
  for (const s of share.sources) {
    const o = byJid.get(s.jid) ?? { jid: s.jid, online: false, resources: [] };
    o.online ||= s.online;
    if (!o.resources.includes(s.resource)) o.resources.push(s.resource);
    byJid.set(s.jid, o);
  }
  return [...byJid.values()].sort(
    (a, b) => Number(b.online) - Number(a.online) || a.jid.localeCompare(b.jid),
  );
}

/**
 * The same matching as the api's search: every word must occur in the name (any case); a single
 * word of 6-40 hex characters also matches hashes starting with it. An empty query matches all.
 */
export function shareMatcher(query: string): (share: { hash: string; name: string }) => boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return () => true;
  const hashPrefix = words.length === 1 && /^[0-9a-f]{6,40}$/.test(words[0] ?? '') ? words[0] : undefined;
  return (share) => {
    if (hashPrefix && share.hash.startsWith(hashPrefix)) return true;
    const name = share.name.toLowerCase();
    return words.every((w) => name.includes(w));
  };
}

export interface ShareGroup {
  share: FriendShare;
  offers: Offer[];
  /** Some friend offering it is online (it can be downloaded now). */
  available: boolean;
}

/**
 * Friends' shares grouped by content (info-hash) for display, filtered by a query: entries with
 * the same hash are merged (the api already sends one per hash; a list merged from several
 * answers may repeat one), available ones first, then by name. At most `limit` are returned,
 * with the number of matches.
 */
export function groupShares(
  shares: readonly FriendShare[],
  query: string,
  limit = 200,
): { groups: ShareGroup[]; matches: number } {
  const matches = shareMatcher(query);
  const byHash = new Map<string, FriendShare>();
  for (const s of shares) {
    if (!matches(s)) continue;
    const seen = byHash.get(s.hash);
    if (seen) byHash.set(s.hash, { ...seen, sources: [...seen.sources, ...s.sources] });
    else byHash.set(s.hash, s);
  }
  const groups = [...byHash.values()].map((share) => {
    const offers = offersOf(share);
    return { share, offers, available: offers.some((o) => o.online) };
  });
  groups.sort(
    (a, b) =>
      Number(b.available) - Number(a.available) ||
      a.share.name.localeCompare(b.share.name) ||
      a.share.hash.localeCompare(b.share.hash),
  );
  return { groups: groups.slice(0, limit), matches: groups.length };
}

/** One friend and the shares they offer (for the "by friend" view). */
export interface FriendGroup {
  jid: string;
  online: boolean;
  groups: ShareGroup[];
}

/**
 * The shares grouped by the friend offering them (a share offered by two friends is under
 * both), online friends first, then by JID; each friend's shares keep their order.
 */
export function byFriend(groups: readonly ShareGroup[]): FriendGroup[] {
  const friends = new Map<string, FriendGroup>();
  for (const g of groups) {
    for (const o of g.offers) {
      const f = friends.get(o.jid) ?? { jid: o.jid, online: false, groups: [] };
      f.online ||= o.online;
      f.groups.push(g);
      friends.set(o.jid, f);
    }
  }
  return [...friends.values()].sort(
    (a, b) => Number(b.online) - Number(a.online) || a.jid.localeCompare(b.jid),
  );
}
