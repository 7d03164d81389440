import {
  engine,
  xmpp,
  type Contact,
  type ContactShares,
  type PendingSubscription,
  type Result,
  type ShareFileList,
} from '@bitween/messages';
import type { Bus } from '@bitween/bus';
import type { SharesView } from './cache/views.js';
import { CoreError, reading, unwrap } from './errors.js';
import { hashPrefixOf, queryWords, ShareIndex, type FriendShare } from './share-index.js';
import { offersOf } from './share-files.js';
import type { Surface } from './surface.js';

export type { FriendShare };

/** How long an engine may try to fetch a share's metadata from the friend (it answers `timeout` after). */
export const SHARE_FILES_TIMEOUT_MS = 20_000;

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

/** The friends (bare JIDs, sorted) whose lists offer `hash`: where a download by hash comes from. */
export function sourcesOf(contacts: readonly ContactShares[], hash: string): string[] {
  const jids = contacts
    .filter((c) => c.resources.some((r) => r.shares.some((s) => s.hash === hash)))
    .map((c) => c.jid.toLowerCase());
  return [...new Set(jids)].sort();
}

/**
 * A name matcher for a search query: every whitespace-separated word must occur in the name
 * (any case); a query that is one word of 6-40 hex characters also matches hashes starting so.
 */
export function shareMatcher(query: string): (share: { hash: string; name: string }) => boolean {
  const matches = loweredMatcher(query);
  return (share) => matches(share.hash, share.name.toLowerCase());
}

/** `shareMatcher` on a name already lowercased. */
export function loweredMatcher(query: string): (hash: string, lowerName: string) => boolean {
  const words = queryWords(query);
  const hashPrefix = hashPrefixOf(words);
  return (hash, lowerName) => {
    if (hashPrefix && hash.startsWith(hashPrefix)) return true;
    return words.every((w) => lowerName.includes(w));
  };
}

/**
 * What friends share and who they are, from the gateway over NATS (the contacts' lists through
 * the cache, see cache/views.ts). Throws `CoreError`s.
 */
export class FriendService {
  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    private readonly view: SharesView,
  ) {}

  async contactShares(): Promise<ContactShares[]> {
    return reading('shares', () => this.view.get());
  }

  /** `derive(contacts)` computed once per change of the contacts' lists (a front-end's serialised answer). */
  async derived<R>(key: string, derive: (contacts: ContactShares[]) => R): Promise<R> {
    return reading('shares', () => this.view.memo(key, derive));
  }

  /**
   * Every friend's share, grouped by hash and sorted, with a trigram index of the names:
   * computed once per change of the lists (the sort alone takes ~0.7 s for 50,000).
   */
  async #index(): Promise<ShareIndex> {
    return this.derived('friendSharesIndex', (contacts) => new ShareIndex(friendShares(contacts)));
  }

  async sharesOf(jid: string): Promise<ContactShares> {
    const found = (await this.contactShares()).find((c) => c.jid === jid);
    if (!found) throw new CoreError('not_found', `no share list received from ${jid}`);
    return found;
  }

  /**
   * The file list of `hash` in `jid`'s list, without downloading it: an engine fetches the
   * metadata from the friend's online instances (or answers from the torrent if it holds it).
   * `not_found`: no list from `jid` or no `hash` in it; `unavailable`: the friend is offline;
   * `timeout`: the friend did not answer; `failed`: the friend's names are refused.
   */
  async shareFiles(jid: string, hash: string): Promise<ShareFileList> {
    const endpoints = offersOf(await this.sharesOf(jid), hash);
    return unwrap(
      await this.bus.request(
        engine.shareFiles,
        { hash, endpoints, timeoutMs: SHARE_FILES_TIMEOUT_MS },
        { timeoutMs: SHARE_FILES_TIMEOUT_MS + this.timeoutMs },
      ),
    );
  }

  /** Friends' shares (of one contact with `jid`) whose names match `query`, in name order, at most `limit`. */
  async search(query: string | undefined, jid?: string, limit?: number): Promise<FriendShare[]> {
    if (jid) {
      const shares = friendShares((await this.contactShares()).filter((c) => c.jid === jid));
      return (query ? shares.filter(shareMatcher(query)) : shares).slice(0, limit);
    }
    return (await this.#index()).search(query ?? '', limit);
  }

  /** Roster contacts with the number of distinct shares each offers (0 before a list arrived). */
  async contacts(): Promise<(Contact & { shares: number })[]> {
    const pendingLists = this.contactShares();
    pendingLists.catch(() => undefined); // awaited below, after the roster (whose error comes first)
    const contacts = unwrap(
      await this.bus.request(xmpp.contacts, {}, { timeoutMs: this.timeoutMs }),
    ).contacts;
    const lists = await pendingLists;
    const counts = new Map<string, number>();
    for (const c of lists) {
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

/** What the adapters see of the friends (see surface.ts). */
export type Friends = Surface<FriendService>;
