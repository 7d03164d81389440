import {
  xmpp,
  type Bus,
  type Contact,
  type ContactShares,
  type PendingSubscription,
  type Result,
} from '@bitween/messages';
import { HttpProblem, problemOfBusError } from '../problem.js';
import type { FriendShare } from '../rest/schemas.js';

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw problemOfBusError(r.error);
  return r.value;
}

/**
 * Every share of every contact, one entry per hash with everyone who offers it (a hash offered
 * by two friends, or by two instances of one, is listed once). Sorted by name.
 */
export function friendShares(contacts: readonly ContactShares[]): FriendShare[] {
  const byHash = new Map<string, FriendShare>();
  for (const contact of contacts) {
    for (const r of contact.resources) {
      for (const s of r.shares) {
        let entry = byHash.get(s.hash);
        if (!entry) {
          entry = { hash: s.hash, name: s.name, size: s.size, sources: [] };
          byHash.set(s.hash, entry);
        }
        entry.sources.push({ jid: contact.jid, resource: r.resource, online: r.online });
      }
    }
  }
  return [...byHash.values()].sort((a, b) => a.name.localeCompare(b.name) || a.hash.localeCompare(b.hash));
}

/**
 * A name matcher for a search query: every whitespace-separated word must occur in the name
 * (any case); a query that is one word of 6-40 hex characters also matches hashes starting so.
 */
export function shareMatcher(query: string): (share: { hash: string; name: string }) => boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hashPrefix = words.length === 1 && /^[0-9a-f]{6,40}$/.test(words[0] ?? '') ? words[0] : undefined;
  return (share) => {
    if (hashPrefix && share.hash.startsWith(hashPrefix)) return true;
    const name = share.name.toLowerCase();
    return words.every((w) => name.includes(w));
  };
}

/** What friends share and who they are, from the gateway over NATS. */
export class FriendService {
  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
  ) {}

  async contactShares(): Promise<ContactShares[]> {
    return unwrap(await this.bus.request(xmpp.shares, {}, { timeoutMs: this.timeoutMs })).contacts;
  }

  async sharesOf(jid: string): Promise<ContactShares> {
    const found = (await this.contactShares()).find((c) => c.jid === jid);
    if (!found) throw new HttpProblem(404, 'not_found', `no share list received from ${jid}`);
    return found;
  }

  async search(query: string | undefined, jid?: string): Promise<FriendShare[]> {
    let contacts = await this.contactShares();
    if (jid) contacts = contacts.filter((c) => c.jid === jid);
    const shares = friendShares(contacts);
    if (!query) return shares;
    const matches = shareMatcher(query);
    return shares.filter(matches);
  }

  /** Roster contacts with the number of distinct shares each offers (0 before a list arrived). */
  async contacts(): Promise<(Contact & { shares: number })[]> {
    const [roster, lists] = await Promise.all([
      this.bus.request(xmpp.contacts, {}, { timeoutMs: this.timeoutMs }),
      this.bus.request(xmpp.shares, {}, { timeoutMs: this.timeoutMs }),
    ]);
    const contacts = unwrap(roster).contacts;
    const counts = new Map<string, number>();
    for (const c of unwrap(lists).contacts) {
      counts.set(c.jid, new Set(c.resources.flatMap((r) => r.shares.map((s) => s.hash))).size);
    }
    return contacts.map((c) => ({ ...c, shares: counts.get(c.jid) ?? 0 }));
  }

  async pending(): Promise<PendingSubscription[]> {
    return unwrap(await this.bus.request(xmpp.subscriptions, {}, { timeoutMs: this.timeoutMs })).pending;
  }

  async approve(jid: string): Promise<void> {
    unwrap(await this.bus.request(xmpp.approve, { jid }, { timeoutMs: this.timeoutMs }));
  }

  async deny(jid: string): Promise<void> {
    unwrap(await this.bus.request(xmpp.deny, { jid }, { timeoutMs: this.timeoutMs }));
  }

  async status(): Promise<Result<{ jid: string; online: boolean; contacts: number }>> {
    return this.bus.request(xmpp.status, {}, { timeoutMs: this.timeoutMs });
  }
}
