import { MAX_TICKET_CONTACTS, xmpp, type TicketTable } from '@bitween/messages';
import { issueTicket } from './ticket-secret.js';

/**
 * The admission tickets (docs/friends-behind-routers.md): the ticket we issue to each mutual
 * contact (derived from the secret, so nothing to store), the tickets contacts gave us, and the
 * contacts that run the original Bitween (`legacy`: they never take part in the exchange).
 *
 * Our own account: sibling instances (other resources of the account) each have their own secret,
 * yet every instance must use one ticket for the account. They agree on the smallest of the
 * tickets they issue to themselves: an instance issues and accepts, for its own JID, the smallest
 * self-ticket it has seen (its own or one a sibling sent), so all instances converge on one value.
 */
export class TicketBook {
  readonly #received = new Map<string, string>();
  readonly #legacy = new Set<string>();
  #mutual: string[] = [];
  /** Each mutual contact's roster groups (what a share's visibility can name), sorted. */
  #groups = new Map<string, string[]>();
  #ownSelfTicket: string;
  #selfTicket: string;
  #siblingSelfTicket = false;
  /** Starts at the clock, so it also grows across restarts (engines compare it). */
  #revision = Date.now();

  constructor(
    private readonly secret: Buffer,
    readonly self: string,
    private readonly onChange: (revision: number) => void,
  ) {
    this.#ownSelfTicket = issueTicket(secret, self, self);
    this.#selfTicket = this.#ownSelfTicket;
  }

  get revision(): number {
    return this.#revision;
  }

  /** The ticket we hand `jid` (a mutual contact, or our own JID: the account's agreed ticket). */
  issuedTo(jid: string): string {
    return jid === this.self ? this.#selfTicket : issueTicket(this.secret, this.self, jid);
  }

  /**
   * The mutual contacts (subscription 'both'): only they hold tickets; the rest are forgotten.
   * `groupsOf`: their roster groups, carried in the table so engines enforce per-group visibility
   * (names no visibility can hold — too long, control characters — are left out; at most 64).
   */
  setMutual(jids: readonly string[], groupsOf: (jid: string) => readonly string[] = () => []): void {
    const next = [...new Set(jids)].filter((j) => j !== this.self).sort();
    const groups = new Map(
      next.map((jid) => [
        jid,
        [...new Set(groupsOf(jid))]
          .filter((g) => xmpp.GroupName.safeParse(g).success)
          .sort()
          .slice(0, 64),
      ]),
    );
    const key = (m: readonly string[], g: ReadonlyMap<string, string[]>) =>
      JSON.stringify(m.map((jid) => [jid, g.get(jid) ?? []]));
    if (key(next, groups) === key(this.#mutual, this.#groups)) return;
    const keep = new Set(next);
    this.#mutual = next;
    this.#groups = groups;
    for (const jid of [...this.#received.keys()]) if (!keep.has(jid)) this.#received.delete(jid);
    for (const jid of [...this.#legacy]) if (!keep.has(jid)) this.#legacy.delete(jid);
    this.#changed();
  }

  isMutual(jid: string): boolean {
    return this.#mutual.includes(jid);
  }

  /** A contact (or a sibling) gave us its ticket: it is no longer legacy. */
  receive(jid: string, ticket: string): void {
    if (jid === this.self) {
      if (this.#siblingSelfTicket && ticket >= this.#selfTicket) return;
      this.#siblingSelfTicket = true;
      if (ticket < this.#selfTicket) this.#selfTicket = ticket;
      this.#changed();
      return;
    }
    if (!this.isMutual(jid)) return;
    const wasLegacy = this.#legacy.delete(jid);
    if (this.#received.get(jid) === ticket && !wasLegacy) return;
    this.#received.set(jid, ticket);
    this.#changed();
  }

  /** A resource of `jid` refused the exchange (or never answered while publishing a list). */
  markLegacy(jid: string): void {
    if (jid === this.self || !this.isMutual(jid) || this.#received.has(jid) || this.#legacy.has(jid)) return;
    this.#legacy.add(jid);
    this.#changed();
  }

  isLegacy(jid: string): boolean {
    return this.#legacy.has(jid);
  }

  table(): TicketTable {
    const limit = MAX_TICKET_CONTACTS - 1; // room for our own JID
    const issued: TicketTable['issued'] = this.#mutual
      .slice(0, limit)
      .map((jid) => ({ jid, ticket: this.issuedTo(jid), groups: this.#groups.get(jid) ?? [] }));
    issued.push({ jid: this.self, ticket: this.#selfTicket });
    const received = [...this.#received].slice(0, limit).map(([jid, ticket]) => ({ jid, ticket }));
    if (this.#siblingSelfTicket) received.push({ jid: this.self, ticket: this.#selfTicket });
    return {
      self: this.self,
      issued,
      received,
      legacy: [...this.#legacy].slice(0, MAX_TICKET_CONTACTS),
      revision: this.#revision,
    };
  }

  /** How many mutual contacts are beyond what the table can hold (logged by the caller). */
  get overflow(): number {
    return Math.max(0, this.#mutual.length - (MAX_TICKET_CONTACTS - 1));
  }

  #changed(): void {
    this.#revision += 1;
    this.onChange(this.#revision);
  }
}
