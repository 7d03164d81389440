import type { ContactShares, Endpoint } from '@bitween/messages';
import type { ResourceEntry } from '../protocol/shares-codec.js';

const key = (e: Endpoint) => `${e.address}|${e.port}`;

/** Whether the entry `resource` of `jid` is online (its XMPP resource has sent presence). */
export type OnlineCheck = (jid: string, resource: string) => boolean;

interface Stored {
  resources: ResourceEntry[];
  receivedAt: number;
}

/**
 * Every contact's last received share list, by bare JID. A notification replaces everything
 * stored for its sender (the original's rule: replace, not merge). Whether an entry is online
 * is asked at read time (presence changes without a new list): an offline entry keeps its
 * shares but its endpoints are never handed to the engines.
 */
export class ContactIndex {
  readonly #contacts = new Map<string, Stored>();

  constructor(private readonly isOnline: OnlineCheck = () => true) {}

  replace(jid: string, resources: ResourceEntry[], receivedAt: number): void {
    this.#contacts.set(jid, { resources, receivedAt });
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
    return dropped;
  }

  snapshot(): ContactShares[] {
    return [...this.#contacts.keys()]
      .sort((a, b) => a.localeCompare(b))
      .map((jid) => this.get(jid))
      .filter((c): c is ContactShares => c !== undefined);
  }

  /**
   * Where each of `hashes` is offered: the union of the endpoints of every online entry listing
   * it, without `exclude` (our own endpoints: never dial ourselves).
   */
  endpointsFor(hashes: Iterable<string>, exclude: Endpoint[]): Map<string, Endpoint[]> {
    const wanted = new Set(hashes);
    const skip = new Set(exclude.map(key));
    const out = new Map<string, Map<string, Endpoint>>();
    for (const [jid, contact] of this.#contacts) {
      for (const r of contact.resources) {
        if (!this.isOnline(jid, r.resource)) continue;
        for (const share of r.shares) {
          if (!wanted.has(share.hash)) continue;
          let eps = out.get(share.hash);
          if (!eps) out.set(share.hash, (eps = new Map<string, Endpoint>()));
          for (const e of r.endpoints) if (!skip.has(key(e))) eps.set(key(e), e);
        }
      }
    }
    return new Map([...out].map(([hash, eps]): [string, Endpoint[]] => [hash, [...eps.values()]]));
  }
}
