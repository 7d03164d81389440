import { randomUUID } from 'node:crypto';
import {
  jsonBytes,
  type ContactResource,
  type ContactShares,
  type Endpoint,
  type PeerEndpoint,
} from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';
import type { ResourceEntry } from '../protocol/shares-codec.js';

/** An endpoint's identity: its address in canonical form (`::1` = `0:0:0:0:0:0:0:1`) and port. */
const key = (e: Endpoint) => `${canonicalIp(e.address) ?? e.address}|${e.port}`;
/** JIDs in code-unit order: the same in every locale, so a cursor's place is stable. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Where a page of `xmpp.shares` starts: contact `jid`, its resource at index `resource`, that
 * resource's share at index `share`. Inside a contact (resource or share > 0) it is valid only
 * for the list it was cut from: `epoch` (this index) and the list's `version`.
 */
export interface PagePosition {
  epoch: string;
  jid: string;
  version: number;
  resource: number;
  share: number;
}

export type SharesPage =
  | { ok: true; contacts: ContactShares[]; next: PagePosition | null }
  /** The cursor points into a list that was replaced or dropped since. */
  | { ok: false; jid: string };

/** Whether the entry `resource` of `jid` is online (its XMPP resource has sent presence). */
export type OnlineCheck = (jid: string, resource: string) => boolean;

interface Stored {
  resources: ResourceEntry[];
  receivedAt: number;
  /** Unique per stored list within this index (cursors into it check it). */
  version: number;
}

/**
 * Every contact's last received share list, by bare JID. A notification replaces everything
 * stored for its sender (the original's rule: replace, not merge). Whether an entry is online
 * is asked at read time (presence changes without a new list): an offline entry keeps its
 * shares but its endpoints are never handed to the engines.
 */
export class ContactIndex {
  readonly #contacts = new Map<string, Stored>();
  readonly #epoch = randomUUID();
  readonly #listeners = new Set<() => void>();
  #versions = 0;

  constructor(private readonly isOnline: OnlineCheck = () => true) {}

  /** Call `listener` after every change of the stored lists (one replaced, contacts dropped); returns how to stop. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  replace(jid: string, resources: ResourceEntry[], receivedAt: number): void {
    this.#contacts.set(jid, { resources, receivedAt, version: ++this.#versions });
    this.#changed();
  }

  has(jid: string): boolean {
    return this.#contacts.has(jid);
  }

  get(jid: string): ContactShares | undefined {
    const stored = this.#contacts.get(jid);
    if (!stored) return undefined;
    return {
      jid,
      receivedAt: stored.receivedAt,
      resources: stored.resources.map((r) => ({ ...r, online: this.isOnline(jid, r.resource) })),
    };
  }

  /** Drop every JID that `keep` rejects (e.g. removed from the roster); returns the dropped. */
  retain(keep: (jid: string) => boolean): string[] {
    const dropped = [...this.#contacts.keys()].filter((jid) => !keep(jid));
    for (const jid of dropped) this.#contacts.delete(jid);
    if (dropped.length > 0) this.#changed();
    return dropped;
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  snapshot(): ContactShares[] {
    return [...this.#contacts.keys()]
      .sort(byCodeUnits)
      .map((jid) => this.get(jid))
      .filter((c): c is ContactShares => c !== undefined);
  }

  /**
   * One page of `snapshot()` from `from` (null: the start): contacts in JID order, as many
   * shares as fit `budgetBytes` of JSON (the page's envelope and cursor not counted), cut
   * anywhere, even inside one resource's shares; the rest of a cut contact or resource starts
   * the next page under the same jid / resource name. A page holds at least one new item, so
   * paging always ends.
   */
  page(from: PagePosition | null, budgetBytes: number): SharesPage {
    const jids = [...this.#contacts.keys()].sort(byCodeUnits);
    const inside = from !== null && (from.resource > 0 || from.share > 0);
    if (inside) {
      const stored = this.#contacts.get(from.jid);
      if (from.epoch !== this.#epoch || stored?.version !== from.version) return { ok: false, jid: from.jid };
    }
    let i = from === null ? 0 : jids.findIndex((j) => byCodeUnits(j, from.jid) >= 0);
    if (i < 0) i = jids.length;

    const contacts: ContactShares[] = [];
    let used = 0;
    // Something not sent before is on this page (a share, or a resource or contact without any):
    // until then nothing is cut, so every page moves the cursor on.
    let progressed = false;
    const full = (bytes: number) => progressed && used + bytes > budgetBytes;
    const cut = (jid: string, stored: Stored, resource: number, share: number): SharesPage => {
      const last = contacts.at(-1);
      if (last?.jid === jid) {
        // No piece without shares for a resource or contact the next page continues.
        const part = last.resources.at(-1);
        if (part?.shares.length === 0 && stored.resources[resource]?.resource === part.resource)
          last.resources.pop();
        if (last.resources.length === 0) contacts.pop();
      }
      return {
        ok: true,
        contacts,
        next: { epoch: this.#epoch, jid, version: stored.version, resource, share },
      };
    };

    for (; i < jids.length; i++) {
      const jid = jids[i]!;
      const stored = this.#contacts.get(jid)!;
      const resuming = inside && jid === from.jid;
      const r0 = resuming ? from.resource : 0;
      const s0 = resuming ? from.share : 0;
      const piece: ContactShares = { jid, receivedAt: stored.receivedAt, resources: [] };
      const head = jsonBytes(piece);
      if (full(head)) return cut(jid, stored, 0, 0);
      used += head;
      contacts.push(piece);
      for (let r = r0; r < stored.resources.length; r++) {
        const entry = stored.resources[r]!;
        const first = r === r0 ? s0 : 0;
        const part: ContactResource = {
          resource: entry.resource,
          online: this.isOnline(jid, entry.resource),
          endpoints: entry.endpoints,
          shares: [],
        };
        const partHead = jsonBytes(part);
        if (full(partHead)) return cut(jid, stored, r, first);
        used += partHead;
        piece.resources.push(part);
        for (let s = first; s < entry.shares.length; s++) {
          const share = entry.shares[s]!;
          const bytes = jsonBytes(share);
          if (full(bytes)) return cut(jid, stored, r, s);
          used += bytes;
          part.shares.push(share);
          progressed = true;
        }
        progressed = true; // the resource is complete
      }
      progressed = true; // the contact is complete
    }
    return { ok: true, contacts, next: null };
  }

  /** The endpoints of `jid`'s online entries, as `endpointsFor` hands them out (whatever they list). */
  contactEndpoints(jid: string): PeerEndpoint[] {
    const stored = this.#contacts.get(jid);
    if (!stored) return [];
    return stored.resources
      .filter((r) => this.isOnline(jid, r.resource))
      .flatMap((r) => offers(jid, r.endpoints));
  }

  /**
   * Where each of `hashes` is offered: the union of the endpoints of every online entry listing
   * it, without `exclude` (our own endpoints: never dial ourselves). Each endpoint names the
   * contact that offers it, and a LAN address carries the public addresses its entry announces
   * (the contact's side of the evidence that we share that LAN; the engine judges it).
   */
  endpointsFor(hashes: Iterable<string>, exclude: Endpoint[]): Map<string, PeerEndpoint[]> {
    const wanted = new Set(hashes);
    const skip = new Set(exclude.map(key));
    const out = new Map<string, Map<string, PeerEndpoint>>();
    for (const [jid, contact] of this.#contacts) {
      for (const r of contact.resources) {
        if (!this.isOnline(jid, r.resource)) continue;
        let offered: PeerEndpoint[] | null = null;
        for (const share of r.shares) {
          if (!wanted.has(share.hash)) continue;
          offered ??= offers(jid, r.endpoints).filter((e) => !skip.has(key(e)));
          let eps = out.get(share.hash);
          if (!eps) out.set(share.hash, (eps = new Map<string, PeerEndpoint>()));
          for (const e of offered) eps.set(key(e), merged(eps.get(key(e)), e));
        }
      }
    }
    return new Map([...out].map(([hash, eps]): [string, PeerEndpoint[]] => [hash, [...eps.values()]]));
  }
}

/** At most this many public addresses go with one endpoint (the contract's limit). */
const MAX_PUBLIC = 32;

/** One entry's endpoints as offers of `jid`; LAN addresses with the entry's public addresses. */
function offers(jid: string, endpoints: readonly Endpoint[]): PeerEndpoint[] {
  const publicAddresses = endpoints.map((e) => e.address).filter((a) => classifyAddress(a) === 'public');
  return endpoints.map((e) => ({
    address: e.address,
    port: e.port,
    jid,
    ...(publicAddresses.length > 0 && classifyAddress(e.address) === 'lan'
      ? { publicAddresses: [...new Set(publicAddresses)].slice(0, MAX_PUBLIC) }
      : {}),
  }));
}

/** The same endpoint offered twice: the first contact's name, the evidence of both. */
function merged(known: PeerEndpoint | undefined, offer: PeerEndpoint): PeerEndpoint {
  if (!known) return offer;
  if (!offer.publicAddresses) return known;
  const publicAddresses = [...new Set([...(known.publicAddresses ?? []), ...offer.publicAddresses])].slice(
    0,
    MAX_PUBLIC,
  );
  return { ...known, publicAddresses };
}
