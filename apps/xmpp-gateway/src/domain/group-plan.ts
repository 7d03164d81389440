import type { ResourceEntry } from '../protocol/shares-codec.js';

/** A roster entry as the plan needs it. */
export interface RosterMember {
  subscription: 'none' | 'to' | 'from' | 'both';
  groups: readonly string[];
}

/** One group node: the shares a group set sees, and who may read them. */
export interface GroupNodePlan {
  /** The group set (sorted, deduplicated). */
  groups: string[];
  /** Our entries with only the shares of this group set (entries without any left out). */
  entries: ResourceEntry[];
  /** Bare JIDs in at least one of the groups who receive our presence (subscription from/both), sorted. */
  members: string[];
}

export interface GroupPlan {
  /** Our entries without the restricted shares: what every contact sees (the original node). */
  everyone: ResourceEntry[];
  /** Group set key (JSON of the sorted set) → its node's content. */
  nodes: Map<string, GroupNodePlan>;
}

/** Contacts who may see what we publish at all: they receive our presence. */
const SEES_US = new Set(['from', 'both']);

/**
 * Split our entries by visibility: shares without a visibility entry go to everyone; the others
 * to one node per distinct group set, readable by the contacts in those groups only (by nobody
 * if no such contact exists yet: the node is still published, so adding one to a group is enough).
 */
export function planGroups(opts: {
  entries: readonly ResourceEntry[];
  /** info-hash (lowercase) → the groups that see it; absent: every contact. */
  visibility: ReadonlyMap<string, readonly string[]>;
  roster: ReadonlyMap<string, RosterMember>;
}): GroupPlan {
  const setOf = (hash: string): string[] | null => {
    const groups = opts.visibility.get(hash.toLowerCase());
    return groups && groups.length > 0 ? [...new Set(groups)].sort() : null;
  };
  const everyone = opts.entries.map((r) => ({
    ...r,
    shares: r.shares.filter((s) => setOf(s.hash) === null),
  }));
  const nodes = new Map<string, GroupNodePlan>();
  for (const entry of opts.entries) {
    const bySet = new Map<string, ResourceEntry['shares']>();
    for (const share of entry.shares) {
      const set = setOf(share.hash);
      if (!set) continue;
      const key = JSON.stringify(set);
      if (!nodes.has(key)) nodes.set(key, { groups: set, entries: [], members: membersOf(set, opts.roster) });
      bySet.set(key, [...(bySet.get(key) ?? []), share]);
    }
    for (const [key, shares] of bySet) nodes.get(key)?.entries.push({ ...entry, shares });
  }
  return { everyone, nodes };
}

function membersOf(groups: readonly string[], roster: ReadonlyMap<string, RosterMember>): string[] {
  const wanted = new Set(groups);
  return [...roster]
    .filter(([, item]) => SEES_US.has(item.subscription) && item.groups.some((g) => wanted.has(g)))
    .map(([jid]) => jid)
    .sort();
}

/**
 * A contact's list as we show it: its list for every contact merged with what its group nodes
 * let us read (a group node's entry adds its shares to the entry of the same name).
 */
export function mergeGroupEntries(
  main: readonly ResourceEntry[],
  groups: readonly (readonly ResourceEntry[])[],
): ResourceEntry[] {
  const byName = new Map<string, ResourceEntry>(
    main.map((r) => [r.resource, { ...r, shares: [...r.shares] }]),
  );
  for (const list of groups) {
    for (const entry of list) {
      const known = byName.get(entry.resource);
      if (!known) {
        byName.set(entry.resource, { ...entry, shares: [...entry.shares] });
        continue;
      }
      const hashes = new Set(known.shares.map((s) => s.hash));
      known.shares.push(...entry.shares.filter((s) => !hashes.has(s.hash)));
      const endpoints = new Set(known.endpoints.map((e) => `${e.address}|${e.port}`));
      known.endpoints.push(...entry.endpoints.filter((e) => !endpoints.has(`${e.address}|${e.port}`)));
    }
  }
  return [...byName.values()];
}

/**
 * May `jid` reach our share `hash` (rendezvous signalling)? Yes when every contact sees it, for
 * our own account, or when the contact is in one of its groups — the same rule the engines apply
 * to the bytes (the members of a group node also need our presence; a rendezvous comes from a
 * mutual contact only, so that holds).
 */
export function maySee(opts: {
  hash: string;
  jid: string;
  self: string;
  visibility: ReadonlyMap<string, readonly string[]>;
  roster: ReadonlyMap<string, { groups?: readonly string[] | undefined }>;
}): boolean {
  const groups = opts.visibility.get(opts.hash.toLowerCase());
  if (!groups || groups.length === 0) return true;
  const jid = opts.jid.toLowerCase();
  if (jid === opts.self.toLowerCase()) return true;
  const mine = opts.roster.get(jid)?.groups ?? [];
  return mine.some((g) => groups.includes(g));
}
