import type { ContactResource, ContactShares, Endpoint } from '@bitween/messages';

const key = (e: Endpoint) => `${e.address}|${e.port}`;

/**
 * Every contact's last received share list, by bare JID. A notification replaces everything
 * stored for its sender (the original's rule: replace, not merge).
 */
export class ContactIndex {
  readonly #contacts = new Map<string, ContactShares>();

  replace(jid: string, resources: ContactResource[], receivedAt: number): void {
    this.#contacts.set(jid, { jid, resources, receivedAt });
  }

  get(jid: string): ContactShares | undefined {
    return this.#contacts.get(jid);
  }

  /** Drop every JID that `keep` rejects (e.g. removed from the roster); returns the dropped. */
  retain(keep: (jid: string) => boolean): string[] {
    const dropped = [...this.#contacts.keys()].filter((jid) => !keep(jid));
    for (const jid of dropped) this.#contacts.delete(jid);
    return dropped;
  }

  snapshot(): ContactShares[] {
    return [...this.#contacts.values()].sort((a, b) => a.jid.localeCompare(b.jid));
  }

  /**
   * Where each of `hashes` is offered: the union of the endpoints of every resource listing it,
   * without `exclude` (our own endpoints: never dial ourselves).
   */
  endpointsFor(hashes: Iterable<string>, exclude: Endpoint[]): Map<string, Endpoint[]> {
    const wanted = new Set(hashes);
    const skip = new Set(exclude.map(key));
    const out = new Map<string, Map<string, Endpoint>>();
    for (const contact of this.#contacts.values()) {
      for (const r of contact.resources) {
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
