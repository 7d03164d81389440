import {
  BusError,
  engine as engineContracts,
  xmpp as contracts,
  type Endpoint,
  type TicketTable,
} from '@bitween/messages';
import type { Bus, Logger } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import type { ContactIndex } from '../domain/contact-index.js';
import type { EngineView } from '../domain/engine-view.js';
import { maySee } from '../domain/group-plan.js';
import { xmppResourceOf } from '../domain/entry-names.js';
import type { PresenceBook } from '../domain/presence-book.js';
import { NS_RENDEZVOUS } from '../protocol/namespaces.js';
import type { XmppSession } from '../xmpp/session.js';
import { AddressFilter } from './address-filter.js';
import { RateLimiter } from './rate-limit.js';
import {
  MAX_ENDPOINTS,
  connectElement,
  connectResultElement,
  decodeConnect,
  decodeConnectResult,
  decodeTicket,
  stanzaError,
  ticketElement,
} from './rendezvous-codec.js';
import { TicketBook } from './tickets.js';

export interface RendezvousOptions {
  session: XmppSession;
  bus: Bus;
  log: Logger;
  presence: PresenceBook;
  index: ContactIndex;
  engines: EngineView;
  /** Site-wide public addresses (configured or discovered), as announced with every engine. */
  extraAddresses: () => readonly string[];
  secret: Buffer;
  /** Which roster groups see each restricted share (per-group visibility; default: none restricted). */
  visibility?: () => ReadonlyMap<string, readonly string[]>;
  /** How long a contact may take to answer a `<ticket/>` (default 15 s). */
  ticketTimeoutMs?: number;
  /** How long a contact may take to answer a `<connect/>` (default 27 s: within the engine's 30 s for `xmpp.connect`). */
  connectTimeoutMs?: number;
  /** How long our engine may take to answer `engine.connect` (default 20 s: ICE gathering, within the asker's 27 s). */
  engineTimeoutMs?: number;
  /** `<connect/>` IQs per contact: `burst` at once, then one per `refillMs` (default 5, 2 s). */
  rateLimit?: { burst: number; refillMs: number };
}

/** Conditions of a resource that does not implement our namespace (the original Bitween, other clients). */
const NOT_IMPLEMENTED = new Set(['feature-not-implemented', 'service-unavailable']);
/** The most resources of one contact tried for one `xmpp.connect`. */
const MAX_TARGETS = 3;
/** A refusal is logged once per sender and reason in this period (the count goes on). */
const LOG_EVERY_MS = 60_000;

function splitJid(full: string): { bare: string; resource: string } {
  const slash = full.indexOf('/');
  const bare = (slash < 0 ? full : full.slice(0, slash)).toLowerCase();
  return { bare, resource: slash < 0 ? '' : full.slice(slash + 1) };
}

type Refusal = { error: Element; reason: string };

/**
 * Rendezvous over XMPP (docs/friends-behind-routers.md): exchanges admission tickets with the
 * online resources of mutual contacts (and of our own account), serves `xmpp.connect` for our
 * engines (a `<connect/>` to the contact's bitween resource) and answers contacts' `<connect/>`
 * by asking the engine that shares the hash (`engine.connect`). Only mutual contacts and our own
 * resources are heard; everything else is refused with an XMPP error, counted and logged.
 */
export class Rendezvous {
  readonly tickets: TicketBook;
  /** Resources that took part in the ticket exchange, per bare JID: they speak our namespace. */
  readonly #capable = new Map<string, Set<string>>();
  /** Resources that answered the exchange with an error: they do not. */
  readonly #refusing = new Map<string, Set<string>>();
  readonly #inflight = new Set<string>();
  readonly #connectLimit: RateLimiter;
  readonly #ticketLimit = new RateLimiter(20, 1_000);
  readonly #lastLogged = new Map<string, number>();
  #mutual = new Set<string>();
  #dropped = 0;
  #notifyTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: RendezvousOptions) {
    const limit = opts.rateLimit ?? { burst: 5, refillMs: 2_000 };
    this.#connectLimit = new RateLimiter(limit.burst, limit.refillMs);
    this.tickets = new TicketBook(opts.secret, opts.session.bareJid, () => this.#ticketsChanged());
  }

  /** Refused ticket and connect IQs since start (xmpp.status `droppedSignalling`). */
  get dropped(): number {
    return this.#dropped;
  }

  start(): void {
    const { session } = this.opts;
    session.handleIqSet(NS_RENDEZVOUS, 'ticket', (from, el) => Promise.resolve(this.#onTicket(from, el)));
    session.handleIqSet(NS_RENDEZVOUS, 'connect', (from, el) => this.#onConnect(from, el));
  }

  stop(): void {
    if (this.#notifyTimer) clearTimeout(this.#notifyTimer);
  }

  table(): TicketTable {
    return this.tickets.table();
  }

  // ---- roster and presence (called by the Gateway) ---------------------------------------

  /** Logged in (again): exchange with every online resource we know of. */
  onOnline(): void {
    this.onRoster();
    for (const jid of [...this.#mutual, this.opts.session.bareJid])
      for (const resource of this.opts.presence.resources(jid)) void this.#exchange(jid, resource);
  }

  onOffline(): void {
    this.#capable.clear();
    this.#refusing.clear();
  }

  onPresence(bare: string, resource: string, available: boolean): void {
    if (!available) {
      this.#capable.get(bare)?.delete(resource);
      this.#refusing.get(bare)?.delete(resource);
      return;
    }
    if (this.#allowed(bare)) void this.#exchange(bare, resource);
  }

  /** The roster changed: tickets follow the mutual contacts; a new mutual contact gets one at once. */
  onRoster(): void {
    const { session, log } = this.opts;
    const mutual = [...session.roster].filter(([, item]) => item.subscription === 'both').map(([jid]) => jid);
    const before = this.#mutual;
    this.#mutual = new Set(mutual);
    this.tickets.setMutual(mutual, (jid) => session.roster.get(jid)?.groups ?? []);
    if (this.tickets.overflow > 0)
      log.warn(
        { overflow: this.tickets.overflow },
        'more mutual contacts than the ticket table holds; some get no ticket',
      );
    for (const jid of this.#mutual) {
      if (before.has(jid)) continue;
      for (const resource of this.opts.presence.resources(jid)) void this.#exchange(jid, resource);
    }
    for (const jid of before) {
      if (this.#mutual.has(jid)) continue;
      this.#capable.delete(jid);
      this.#refusing.delete(jid);
    }
  }

  // ---- ticket exchange --------------------------------------------------------------------

  #allowed(bare: string): boolean {
    return bare === this.opts.session.bareJid || this.#mutual.has(bare);
  }

  #resources(map: Map<string, Set<string>>, bare: string): Set<string> {
    let set = map.get(bare);
    if (!set) map.set(bare, (set = new Set()));
    return set;
  }

  async #exchange(bare: string, resource: string): Promise<void> {
    const { session, log } = this.opts;
    const full = `${bare}/${resource}`;
    if (!session.online || this.#inflight.has(full)) return;
    if (bare === session.bareJid && resource === session.resource) return;
    this.#inflight.add(full);
    try {
      const reply = await session.iq(
        'set',
        full,
        ticketElement(this.tickets.issuedTo(bare)),
        this.opts.ticketTimeoutMs ?? 15_000,
      );
      const ticket = decodeTicket(reply);
      if (!ticket.ok) {
        log.info({ jid: full, reason: ticket.reason }, 'a contact answered our ticket with a malformed one');
        return;
      }
      if (!this.#allowed(bare)) return; // removed from the roster meanwhile
      this.#resources(this.#capable, bare).add(resource);
      this.tickets.receive(bare, ticket.value);
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      if (condition && NOT_IMPLEMENTED.has(condition) && this.opts.presence.isOnline(bare, resource)) {
        // (a resource that just went offline is bounced by its server with service-unavailable too)
        this.#resources(this.#refusing, bare).add(resource);
        if (!this.#resources(this.#capable, bare).size) {
          log.info(
            { jid: full, condition },
            'a contact resource does not exchange tickets (original Bitween or another client)',
          );
          this.tickets.markLegacy(bare);
        }
      } else if (condition) {
        log.info({ jid: full, condition }, 'a contact resource refused our ticket');
      } else if (session.online && this.opts.presence.isOnline(bare, resource)) {
        // No answer at all while online: an old client that drops unknown IQs. If it publishes a
        // list, its connections are admitted by address (legacy).
        log.info({ jid: full, err: (err as Error).message }, 'a contact resource did not answer our ticket');
        if (this.opts.index.has(bare) && !this.#resources(this.#capable, bare).size)
          this.tickets.markLegacy(bare);
      }
    } finally {
      this.#inflight.delete(full);
    }
  }

  #onTicket(from: string, el: Element): Element {
    const { bare, resource } = splitJid(from);
    const refusal = this.#check(bare, this.#ticketLimit);
    if (refusal) return this.#refuse(from, 'ticket', refusal);
    const ticket = decodeTicket(el);
    if (!ticket.ok)
      return this.#refuse(from, 'ticket', {
        error: stanzaError('modify', 'bad-request', ticket.reason),
        reason: 'malformed',
      });
    this.#resources(this.#capable, bare).add(resource);
    this.#resources(this.#refusing, bare).delete(resource);
    this.tickets.receive(bare, ticket.value);
    return ticketElement(this.tickets.issuedTo(bare));
  }

  #ticketsChanged(): void {
    // Bursts (a login exchanges with every contact) go out as one event.
    if (this.#notifyTimer) return;
    this.#notifyTimer = setTimeout(() => {
      this.#notifyTimer = null;
      this.opts.bus.publish(contracts.ticketsChanged, { revision: this.tickets.revision });
    }, 100);
  }

  // ---- incoming <connect/> -----------------------------------------------------------------

  #check(bare: string, limiter: RateLimiter): Refusal | null {
    if (!this.#allowed(bare))
      return {
        error: stanzaError('auth', 'not-authorized', 'only mutual contacts'),
        reason: 'not a mutual contact',
      };
    if (!limiter.take(bare))
      return {
        error: stanzaError('wait', 'resource-constraint', 'too many requests; slow down'),
        reason: 'rate limit',
      };
    return null;
  }

  #refuse(from: string, kind: 'ticket' | 'connect', refusal: Refusal): Element {
    this.#dropped += 1;
    const key = `${splitJid(from).bare}|${kind}|${refusal.reason}`;
    const now = Date.now();
    if ((this.#lastLogged.get(key) ?? 0) + LOG_EVERY_MS <= now) {
      if (this.#lastLogged.size > 1_000) this.#lastLogged.clear();
      this.#lastLogged.set(key, now);
      this.opts.log.info(
        { from, kind, reason: refusal.reason, droppedSignalling: this.#dropped },
        'refused a rendezvous request',
      );
    }
    return refusal.error;
  }

  async #onConnect(from: string, el: Element): Promise<Element> {
    const { bus, engines, log } = this.opts;
    const { bare } = splitJid(from);
    const refusal = this.#check(bare, this.#connectLimit);
    if (refusal) return this.#refuse(from, 'connect', refusal);
    const decoded = decodeConnect(el);
    if (!decoded.ok)
      return this.#refuse(from, 'connect', {
        error: stanzaError('modify', 'bad-request', decoded.reason),
        reason: `malformed: ${decoded.reason}`,
      });
    const { hash } = decoded.value;
    const now = Date.now();
    const engineId = engines.holderOf(hash, now);
    // A share restricted to groups the contact is not in: answered as a hash we do not share.
    if (engineId && !this.#maySee(hash, bare))
      return this.#refuse(from, 'connect', {
        error: stanzaError('cancel', 'item-not-found', 'no such shared torrent'),
        reason: 'hash not visible to this contact',
      });
    if (!engineId)
      return this.#refuse(from, 'connect', {
        error: stanzaError('cancel', 'item-not-found', 'no such shared torrent'),
        reason: 'hash not shared',
      });
    const filter = this.#filter(now);
    const endpoints = filter.endpoints(decoded.value.endpoints);
    let sdp = decoded.value.sdp;
    let droppedCandidates = 0;
    if (sdp !== undefined) {
      const filtered = filter.sdp(sdp);
      sdp = filtered.sdp;
      droppedCandidates = filtered.dropped;
    }
    if (endpoints.dropped > 0 || droppedCandidates > 0)
      log.info(
        { from, hash, droppedEndpoints: endpoints.dropped, droppedCandidates },
        'dropped endpoints and ICE candidates of a rendezvous that name this host, our own addresses or no destination',
      );
    const reply = await bus.request(
      engineContracts.connect,
      { hash, jid: bare, endpoints: endpoints.kept, ...(sdp === undefined ? {} : { sdp }) },
      { params: { engineId }, timeoutMs: this.opts.engineTimeoutMs ?? 20_000 },
    );
    if (!reply.ok) {
      log.info(
        { from, hash, engineId, code: reply.error.code, err: reply.error.message },
        'our engine could not answer a rendezvous',
      );
      return reply.error.code === 'timeout'
        ? stanzaError('wait', 'remote-server-timeout', 'the engine did not answer in time')
        : stanzaError('cancel', 'service-unavailable', `the engine refused (${reply.error.code})`);
    }
    log.info(
      { from, hash, engineId, endpoints: endpoints.kept.length, answer: reply.value.sdp !== undefined },
      'answered a rendezvous',
    );
    return connectResultElement(reply.value.sdp);
  }

  /** Per-group visibility: may `bare` reach our share `hash`? */
  #maySee(hash: string, bare: string): boolean {
    const visibility = this.opts.visibility?.() ?? new Map<string, readonly string[]>();
    const { session } = this.opts;
    return maySee({ hash, jid: bare, self: session.bareJid, visibility, roster: session.roster });
  }

  /** Our own addresses: every live engine's endpoints and the site-wide public addresses. */
  #filter(now: number): AddressFilter {
    return new AddressFilter([
      ...this.opts.engines.endpoints(now).map((e) => e.address),
      ...this.opts.extraAddresses(),
    ]);
  }

  // ---- xmpp.connect (our engine asks) -------------------------------------------------------

  /**
   * Send the contact's bitween resource a `<connect/>` with the asking engine's endpoints and
   * offer; the first resource that answers wins. The answer's candidates are filtered like a
   * request's (a contact must not make our engine probe this host).
   */
  async connect(req: {
    hash: string;
    jid: string;
    engineId: string;
    sdp?: string | undefined;
  }): Promise<{ sdp?: string; from: string }> {
    const { session, log } = this.opts;
    if (!session.online)
      throw new BusError('unavailable', 'not connected to the XMPP server; try again later');
    const bare = req.jid.toLowerCase();
    if (!this.#allowed(bare)) throw new BusError('not_found', `${bare} is not a mutual contact`);
    if (!this.#maySee(req.hash, bare))
      throw new BusError('not_found', `${req.hash} is restricted to roster groups ${bare} is not in`);
    const targets = this.#targets(bare, req.hash);
    if (targets.length === 0) throw new BusError('not_found', `${bare} has no online bitween resource`);
    const now = Date.now();
    const endpoints: Endpoint[] = this.opts.engines
      .endpointsOf(req.engineId, now, this.opts.extraAddresses())
      .slice(0, MAX_ENDPOINTS);
    const request = connectElement({
      hash: req.hash,
      endpoints,
      ...(req.sdp === undefined ? {} : { sdp: req.sdp }),
    });
    const problems: string[] = [];
    for (const resource of targets.slice(0, MAX_TARGETS)) {
      const full = `${bare}/${resource}`;
      try {
        const reply = await session.iq('set', full, request, this.opts.connectTimeoutMs ?? 27_000);
        const answer = decodeConnectResult(reply);
        if (!answer.ok) {
          problems.push(`${full}: malformed answer (${answer.reason})`);
          continue;
        }
        let sdp = answer.value;
        if (sdp !== undefined) {
          const filtered = this.#filter(Date.now()).sdp(sdp);
          if (filtered.dropped > 0)
            log.info(
              { from: full, hash: req.hash, droppedCandidates: filtered.dropped },
              'dropped ICE candidates of a rendezvous answer',
            );
          sdp = filtered.sdp;
        }
        log.info(
          {
            jid: full,
            hash: req.hash,
            endpoints: endpoints.length,
            offer: req.sdp !== undefined,
            answer: sdp !== undefined,
          },
          'rendezvous answered',
        );
        return { ...(sdp === undefined ? {} : { sdp }), from: full };
      } catch (err) {
        const e = err as { condition?: string; text?: string; message?: string };
        problems.push(
          e.condition
            ? `${full}: ${e.condition}${e.text ? ` (${e.text})` : ''}`
            : `${full}: no answer in time`,
        );
      }
    }
    log.info({ jid: bare, hash: req.hash, problems }, 'rendezvous failed');
    throw new BusError('unavailable', `the contact did not accept the rendezvous: ${problems.join('; ')}`);
  }

  /**
   * Online resources of `bare` that speak our namespace (took part in the ticket exchange), or
   * whose share list offers the hash and did not refuse it: those offering the hash first.
   */
  #targets(bare: string, hash: string): string[] {
    const { session, presence, index } = this.opts;
    const capable = this.#capable.get(bare) ?? new Set<string>();
    const refusing = this.#refusing.get(bare) ?? new Set<string>();
    const offering = new Set(
      (index.get(bare)?.resources ?? [])
        .filter((r) => r.shares.some((s) => s.hash === hash))
        .map((r) => xmppResourceOf(r.resource)),
    );
    const rank = (r: string) => (capable.has(r) ? 0 : 2) + (offering.has(r) ? 0 : 1);
    return presence
      .resources(bare)
      .filter((r) => !(bare === session.bareJid && r === session.resource))
      .filter((r) => capable.has(r) || (offering.has(r) && !refusing.has(r)))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}
