import { BusError, chunkByBytes, pageBudget, xmpp as contracts, type Contact } from '@bitween/messages';
import type { Bus, EngineRegistry, Logger } from '@bitween/bus';
import { classifyAddress } from '@bitween/net-policy';
import { coalesce } from '@bitween/runtime';
import { cleanName } from '@bitween/safe-text';
import type { Element } from '@xmpp/xml';
import { ContactIndex } from './domain/contact-index.js';
import { EngineView } from './domain/engine-view.js';
import { xmppResourceOf } from './domain/entry-names.js';
import { listKey, mergeOwnList } from './domain/own-list.js';
import { PendingSubscriptions } from './domain/pending-subscriptions.js';
import { PresenceBook } from './domain/presence-book.js';
import { RefreshQueue } from './domain/refresh-queue.js';
import { type Limits, type ResourceEntry } from './protocol/shares-codec.js';
import { INDEX_NODE, bucketNode, layoutList, type Layout, ENVELOPE_BYTES } from './protocol/buckets.js';
import { ListReader } from './lists/list-reader.js';
import type { RejectedNotification } from './protocol/notification.js';
import type { SharesEvent } from './protocol/pubsub.js';
import { Rendezvous, type RendezvousOptions } from './rendezvous/rendezvous.js';
import type { SubscriptionType, XmppSession } from './xmpp/session.js';
import { UploadPace, type UploadSettings } from './xmpp/upload-pace.js';

export interface GatewayOptions {
  session: XmppSession;
  bus: Bus;
  registry: EngineRegistry;
  log: Logger;
  /** How often engine liveness is re-evaluated (a crashed engine's shares are withdrawn). */
  engineCheckMs: number;
  limits?: Limits;
  /** Approve every subscription request at once (off by default: the user decides). */
  autoApprove?: boolean;
  /**
   * After login, how long to wait for our own account's last item before publishing anyway
   * (publishing without it could erase a sibling instance's entry).
   */
  ownItemWaitMs?: number;
  /**
   * After login, how long a sibling instance listed in our account's item may go without
   * presence before its entry is dropped (presence of our other resources arrives just after
   * login).
   */
  siblingGraceMs?: number;
  /**
   * After each publish, read our item back after this long (plus up to 50 % jitter) and merge
   * again if the server holds something else: PEP has no compare-and-swap, and the notification
   * that would tell us a sibling overwrote our entry is not guaranteed (Prosody sometimes sends
   * none when two resources publish at the same moment).
   */
  readBackMs?: number;
  /**
   * The largest stanza we send (servers close the stream on larger ones: Prosody 0.12 takes
   * 256 KiB from a client, ejabberd's shipped config 64 KiB). Larger lists go out in buckets.
   */
  maxStanzaBytes?: number;
  /** A list up to this size goes out whole in `current`; a larger one in buckets (protocol/buckets.ts). */
  directListBytes?: number;
  /**
   * The pace of bulk sending (list publishing, bucket fetches), below the server's read rate
   * (xmpp/pacer.ts). Unset: chosen from the server's software (XEP-0092), else the strictest
   * stock limit known (ejabberd's 3000 B/s).
   */
  upload?: UploadSettings;
  /**
   * Rendezvous (tickets, `<connect/>`): the ticket secret and options. Absent: the gateway takes
   * no part (unit tests of other behaviour).
   */
  rendezvous?: Pick<
    RendezvousOptions,
    'secret' | 'rateLimit' | 'ticketTimeoutMs' | 'connectTimeoutMs' | 'engineTimeoutMs'
  >;
}

export const DEFAULT_MAX_STANZA_BYTES = 64 * 1024;
/** A change of a list in buckets costs about a bucket and the index: keep a whole list below that too. */
export const DEFAULT_DIRECT_LIST_BYTES = 8 * 1024;

/** Contacts' items fetched at once after login (one small IQ each). */
const REFRESH_CONCURRENCY = 4;

/**
 * The behaviour between XMPP and NATS: publishes what the engines share (one `<resource/>`
 * entry per engine), keeps friends' lists with their presence, holds subscription requests for
 * the user, and hands the engines the endpoints of online friends for the hashes they hold.
 */
export class Gateway {
  readonly presence = new PresenceBook();
  readonly index: ContactIndex;
  readonly engines = new EngineView();
  readonly pending = new PendingSubscriptions();
  /** Site-wide addresses (configured or discovered public address) added to every engine's entry. */
  #extraAddresses: string[] = [];
  /** The last item of our account's node as we know it (from the server or our last publish). */
  #ownBase: ResourceEntry[] = [];
  /** listKey of what the server holds now; null = unknown (publish). */
  #serverKey: string | null = null;
  /** Our own item is known (or we stopped waiting for it): publishing may start. */
  #baseKnown = false;
  #siblingsSettled = false;
  /** Siblings whose entry came back after we dropped it: they are alive although we saw no presence. */
  readonly #vouched = new Set<string>();
  #lastPublishedList: ResourceEntry[] = [];
  /** Shares events that were not PEP notifications from a contact (spoofed lists), since start. */
  #droppedEvents = 0;
  #liveFingerprint = '';
  #timer: NodeJS.Timeout | null = null;
  #settleTimer: NodeJS.Timeout | null = null;
  #readBackTimer: NodeJS.Timeout | null = null;
  #stopWatch: (() => void) | null = null;
  #generation = 0;
  /** Per sender: sequence of notifications (a slow full-list fetch must not undo a newer list). */
  readonly #sequence = new Map<string, number>();
  /** What the server holds for us: bucket ids (by index), the index's id and `current`'s text. */
  #served: { buckets: Map<number, string>; indexId: string | null; current: string | null } = {
    buckets: new Map(),
    indexId: null,
    current: null,
  };
  readonly #pace: UploadPace;
  readonly #reader: ListReader;
  /** The last list layout: its unchanged buckets are reused by the next. */
  #lastLayout: Layout | null = null;
  /** Set by stop(): nothing is published any more (our withdrawal's echo must not undo it). */
  #stopping = false;
  readonly #publisher;
  /**
   * Contacts whose current item is fetched once when they come online (also just after our
   * login): ejabberd does not always push an item published before it learnt our caps.
   */
  readonly #refresh = new RefreshQueue(REFRESH_CONCURRENCY, (jid) => this.#refreshContact(jid));
  /** Tickets and `<connect/>` (null without `rendezvous` options). */
  readonly rendezvous: Rendezvous | null;

  constructor(private readonly opts: GatewayOptions) {
    const own = opts.session.bareJid;
    this.index = new ContactIndex((jid, entry) => {
      const resource = xmppResourceOf(entry);
      if (jid === own && resource === opts.session.resource) return true;
      // An original with an empty resource name: its entry "" cannot be matched with one XMPP
      // resource; it is online while the contact has any resource online.
      if (resource === '') return this.presence.resources(jid).length > 0;
      return this.presence.isOnline(jid, resource);
    });
    this.rendezvous = opts.rendezvous
      ? new Rendezvous({
          ...opts.rendezvous,
          session: opts.session,
          bus: opts.bus,
          log: opts.log,
          presence: this.presence,
          index: this.index,
          engines: this.engines,
          extraAddresses: () => this.#extraAddresses,
        })
      : null;
    this.#pace = new UploadPace(opts.upload, opts.log);
    this.#reader = new ListReader({
      session: opts.session,
      log: opts.log,
      pace: this.#pace,
      limits: opts.limits,
      onOwnBuckets: (ids) => {
        // What the server holds for us: a later publish sends only the buckets that differ.
        this.#served.buckets = new Map(ids.map((id, k) => [k, id]));
      },
    });
    this.#publisher = coalesce(
      () => this.#publish(),
      (err) => opts.log.warn({ err }, 'publishing the share list failed (will retry on the next change)'),
    );
  }

  async start(): Promise<void> {
    const { session } = this.opts;
    session.on('online', () => void this.#onOnline());
    session.on('offline', () => this.#onOffline());
    session.on('notification', (from, event) => this.#onNotification(from, event));
    session.on('rejectedNotification', (rejected) => this.#onRejected(rejected));
    session.on('presence', (bare, resource, available) => this.#onPresence(bare, resource, available));
    session.on('subscription', (bare, type) => void this.#onSubscription(bare, type));
    session.on('roster', (jids) => this.#onRoster(jids));
    this.rendezvous?.start();
    this.#stopWatch = await this.opts.registry.watch((engineId, engine) => {
      this.engines.update(engineId, engine);
      this.#enginesChanged();
    });
    // The watch gives changes at once; this periodic full read makes the view right even if a
    // change was missed, and notices engines that fell silent.
    this.#timer = setInterval(() => void this.#resync(), this.opts.engineCheckMs);
    session.start();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    if (this.#readBackTimer) clearTimeout(this.#readBackTimer);
    this.#stopWatch?.();
    this.rendezvous?.stop();
    this.#stopping = true;
    await this.#publisher.idle();
    const { session, log } = this.opts;
    if (session.online) {
      // Withdraw our entries; the last instance of the account leaves an empty <user_shares/>.
      const rest = mergeOwnList({
        base: this.#ownBase,
        own: null,
        ownResource: session.resource,
        keepSibling: (r) => this.#keepSibling(r),
      });
      try {
        await this.#send(rest);
        log.info({ remainingResources: rest.length }, 'withdrew our shares');
      } catch (err) {
        log.warn({ err }, 'could not withdraw our shares');
      }
    }
    await session.stop();
  }

  status() {
    const { session } = this.opts;
    const contacts = [...session.roster.keys()].filter((jid) => session.isTrusted(jid)).length;
    return {
      jid: session.bareJid,
      online: session.online,
      contacts,
      droppedEntries: this.#reader.droppedEntries,
      ...(this.rendezvous ? { droppedSignalling: this.rendezvous.dropped } : {}),
    };
  }

  /** Site-wide addresses changed (address discovery): every engine's entry gets them. */
  setExtraAddresses(addresses: string[]): void {
    this.#extraAddresses = [...addresses];
    this.#publisher.trigger();
    // Our public addresses are the engines' evidence for dialling contacts on our LAN.
    this.#publishPeers();
  }

  // ---- contacts and subscriptions (NATS commands) ---------------------------------------

  contacts(): Contact[] {
    return [...this.opts.session.roster.keys()].sort().map((jid) => this.#contact(jid));
  }

  async approve(jid: string): Promise<{ jid: string; approved: true }> {
    const bare = jid.toLowerCase();
    this.#requireOnline();
    if (!this.pending.has(bare))
      throw new BusError('not_found', `no pending subscription request from ${bare}`);
    await this.#approve(bare);
    return { jid: bare, approved: true };
  }

  async deny(jid: string): Promise<{ jid: string; approved: false }> {
    const bare = jid.toLowerCase();
    this.#requireOnline();
    if (!this.pending.has(bare))
      throw new BusError('not_found', `no pending subscription request from ${bare}`);
    await this.opts.session.sendPresence(bare, 'unsubscribed');
    this.pending.delete(bare);
    this.opts.log.info({ jid: bare }, 'denied a subscription request');
    return { jid: bare, approved: false };
  }

  #requireOnline(): void {
    if (!this.opts.session.online)
      throw new BusError('failed', 'not connected to the XMPP server; try again later');
  }

  async #approve(bare: string): Promise<void> {
    const { session, log } = this.opts;
    await session.sendPresence(bare, 'subscribed');
    const subscription = session.roster.get(bare)?.subscription ?? 'none';
    // Subscribe back, so the contact becomes a friend both ways (we receive their list too).
    if (subscription !== 'to' && subscription !== 'both') await session.sendPresence(bare, 'subscribe');
    this.pending.delete(bare);
    log.info({ jid: bare }, 'approved a subscription request');
  }

  async #onSubscription(bare: string, type: SubscriptionType): Promise<void> {
    const { session, log, bus } = this.opts;
    if (bare === session.bareJid) return;
    try {
      if (type === 'subscribe') {
        const subscription = session.roster.get(bare)?.subscription ?? 'none';
        if (subscription === 'from' || subscription === 'both') {
          await session.sendPresence(bare, 'subscribed'); // already approved earlier
        } else if (this.opts.autoApprove) {
          log.info({ jid: bare }, 'subscription request approved automatically (auto-approve is on)');
          await this.#approve(bare);
        } else {
          const receivedAt = Date.now();
          if (this.pending.add(bare, receivedAt)) {
            log.info({ jid: bare }, 'subscription request held for the user to approve or deny');
            bus.publish(contracts.subscriptionRequest, { jid: bare, receivedAt });
          }
        }
      } else if (type === 'unsubscribe') {
        if (this.pending.delete(bare))
          log.info({ jid: bare }, 'a pending subscription request was withdrawn');
      }
    } catch (err) {
      log.warn({ err, jid: bare, type }, 'could not handle a subscription stanza');
    }
  }

  #contact(jid: string): Contact {
    const item = this.opts.session.roster.get(jid);
    const resources = this.presence.resources(jid);
    // (A roster name may come from the contact: shown cleaned, like every name we did not choose.)
    const name = item?.name ? cleanName(item.name) : '';
    return {
      jid,
      name: name === '' ? null : name,
      subscription: item?.subscription ?? 'none',
      online: resources.length > 0,
      resources,
    };
  }

  #publishContact(jid: string): void {
    if (!this.opts.session.roster.has(jid)) return;
    const contact = this.#contact(jid);
    // A JID that fails the contract (odd roster entry) is logged by the bus and not sent.
    this.opts.bus.publish(contracts.contactChanged, contact);
  }

  // ---- engines ---------------------------------------------------------------------------

  /** Which engines are alive and what they hold: when it changes, publish again. */
  #fingerprint(): string {
    return this.engines
      .live(Date.now())
      .map(
        (e) =>
          `${e.state.engineId}:${e.state.endpoints.map((p) => `${p.address}|${p.port}`).join(',')}:${e.state.torrents.map((t) => `${t.hash}${t.name === null ? '?' : ''}`).join(',')}`,
      )
      .join(';');
  }

  async #resync(): Promise<void> {
    try {
      this.engines.replaceAll(await this.opts.registry.live());
    } catch (err) {
      this.opts.log.warn({ err }, 'could not read the engine registry');
    }
    const fingerprint = this.#fingerprint();
    if (fingerprint !== this.#liveFingerprint) this.#enginesChanged();
    else this.#publisher.trigger(); // cheap: publishes only if the list differs from the server's
  }

  #enginesChanged(): void {
    this.#liveFingerprint = this.#fingerprint();
    this.#publisher.trigger();
    this.#publishPeers();
  }

  /**
   * Every hash our engines hold, with the endpoints online friends offer it at (never our own),
   * and our own public addresses (configured or discovered, and the engines' public endpoints):
   * with a LAN endpoint's `publicAddresses`, the evidence an engine needs before it dials a LAN
   * address (it decides; libs/net-policy `sharesLan`).
   */
  #publishPeers(): void {
    const now = Date.now();
    const ownEndpoints = this.engines.endpoints(now);
    const found = this.index.endpointsFor(this.engines.hashes(now), ownEndpoints);
    const peers = [...found]
      .filter(([, endpoints]) => endpoints.length > 0)
      .map(([hash, endpoints]) => ({ hash, endpoints }));
    const ownPublic = [...new Set([...this.#extraAddresses, ...ownEndpoints.map((e) => e.address)])]
      .filter((a) => classifyAddress(a) === 'public')
      .slice(0, 64);
    // Published on every change (also unchanged): an engine that restarted needs them again.
    // Each hash's entry stands alone, so a long list goes out as several events of one message each.
    const { bus } = this.opts;
    for (const chunk of chunkByBytes(peers, pageBudget(bus.nc.info?.max_payload))) {
      bus.publish(contracts.peers, { peers: chunk, ownPublic });
    }
  }

  // ---- XMPP -----------------------------------------------------------------------------

  async #onOnline(): Promise<void> {
    const { session, log } = this.opts;
    const generation = ++this.#generation;
    this.rendezvous?.onOnline();
    this.#baseKnown = false;
    this.#siblingsSettled = false;
    this.#serverKey = null;
    this.#served.current = null;
    void this.#pace.detect(session);
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => {
      this.#siblingsSettled = true;
      this.#publisher.trigger();
    }, this.opts.siblingGraceMs ?? 10_000);
    const wait = this.opts.ownItemWaitMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, wait, 'timeout')));
    try {
      const item = await Promise.race([session.fetchOwnItem(), timeout]);
      if (item === 'timeout') {
        log.warn({ waitedMs: wait }, 'our own published item did not arrive in time; publishing without it');
      } else if (item) {
        // (A full list in chunks is read as well: the sibling entries beyond `current` matter.)
        const resources = await this.#reader.read(session.bareJid, item);
        if (resources) {
          this.#ownBase = resources;
          this.#serverKey = listKey(resources);
        } else log.warn({}, 'our own published item is unreadable; starting afresh');
      } else {
        this.#ownBase = [];
        this.#serverKey = listKey([]);
      }
    } catch (err) {
      log.warn({ err }, 'could not fetch our own published item');
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.#generation || !session.online) return;
    this.#baseKnown = true;
    this.#serverKey = null; // after (re)connecting, always publish once (and re-announce)
    this.#publisher.trigger();
  }

  #onOffline(): void {
    this.#baseKnown = false;
    this.#refresh.clear();
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    // We know nobody's presence while disconnected: every contact is offline until the server
    // sends their presence again. Their lists are kept.
    this.rendezvous?.onOffline();
    const was = this.presence.clear();
    for (const jid of was) this.#publishContact(jid);
    this.#publishPeers();
  }

  #keepSibling(resource: string): boolean {
    if (!this.#siblingsSettled) return true;
    return this.#vouched.has(resource) || this.presence.isOnline(this.opts.session.bareJid, resource);
  }

  #onPresence(bare: string, resource: string, available: boolean): void {
    const { session, log } = this.opts;
    const wasOnline = this.presence.resources(bare).length > 0;
    if (!this.presence.set(bare, resource, available)) return;
    this.rendezvous?.onPresence(bare, resource, available);
    // A contact came online (also: everyone online, just after our login): read its item once.
    if (available && !wasOnline && bare !== session.bareJid && session.isTrusted(bare))
      this.#refresh.add(bare);
    if (bare === session.bareJid) {
      if (!available) {
        this.#vouched.delete(resource);
        log.info({ resource }, 'a sibling instance went offline: its entry is no longer republished');
      }
      this.#publisher.trigger();
    } else {
      this.#publishContact(bare);
    }
    // Entries of this resource went on- or offline: engines get the endpoints of online ones.
    if (this.index.has(bare)) this.#publishPeers();
  }

  /** A spoofed list (an event not sent by a contact's PEP service): counted, logged at debug only (anyone can send them). */
  #onRejected(rejected: RejectedNotification): void {
    this.#droppedEvents += 1;
    const { from, type, reason } = rejected;
    this.opts.log.debug(
      { from, type, reason, droppedEvents: this.#droppedEvents },
      'dropped a shares event that is not a PEP notification from a contact',
    );
  }

  #onNotification(from: string, event: SharesEvent): void {
    const { session, log } = this.opts;
    // (The session passes PEP notifications of our own account and of contacts only.)
    if (!session.isTrusted(from)) {
      this.#onRejected({ ok: false, from, type: null, reason: 'not a contact' });
      return;
    }
    const sequence = (this.#sequence.get(from) ?? 0) + 1;
    this.#sequence.set(from, sequence);
    const payload = event.kind === 'item' ? event.payload : null;
    const index = event.kind === 'item' && event.index === true;
    void (async () => {
      const resources = !payload
        ? []
        : index
          ? await this.#reader.readIndexed(from, payload)
          : await this.#reader.read(from, payload);
      // A newer notification from this sender arrived while we were reading this one.
      if (resources === null || this.#sequence.get(from) !== sequence) return;
      this.#applyList(from, resources);
    })().catch((err: unknown) => log.warn({ err, from }, 'could not handle a shares notification'));
  }

  /**
   * Fetch `jid`'s current item and apply it like a notification, unless a notification from
   * `jid` arrives meanwhile (it is at least as new).
   */
  async #refreshContact(jid: string): Promise<void> {
    const { session, log } = this.opts;
    if (!session.online || !session.isTrusted(jid)) return;
    const before = this.#sequence.get(jid) ?? 0;
    let item: Element | null;
    try {
      item = await session.fetchItem(undefined, jid);
    } catch (err) {
      log.debug({ jid, err: (err as Error).message }, 'could not fetch a contact’s current item');
      return;
    }
    // A notification that arrived meanwhile is at least as new as what we fetched.
    const superseded = (this.#sequence.get(jid) ?? 0) !== before;
    log.debug({ jid, published: item !== null, superseded }, 'fetched a contact’s current item');
    if (superseded || !session.isTrusted(jid)) return;
    if (!item && !this.index.has(jid)) return; // nothing published, nothing known
    const sequence = before + 1;
    this.#sequence.set(jid, sequence);
    const resources = item ? await this.#reader.read(jid, item) : [];
    if (resources === null || this.#sequence.get(jid) !== sequence) return;
    const known = this.index.get(jid)?.resources.map(({ resource, shares, endpoints }) => ({
      resource,
      shares,
      endpoints,
    }));
    const same = known !== undefined && listKey(known) === listKey(resources);
    if (!same) this.#applyList(jid, resources);
  }

  #applyList(from: string, received: ResourceEntry[]): void {
    const { session, log, bus } = this.opts;
    let resources = received;
    if (from === session.bareJid) {
      // Our own node: what the server holds now, and how we learn about sibling instances.
      const published = new Set(this.#lastPublishedList.map((r) => xmppResourceOf(r.resource)));
      for (const r of resources) {
        const res = xmppResourceOf(r.resource);
        // A sibling entry we had dropped came back: that sibling is alive and re-merged.
        if (
          res !== session.resource &&
          !published.has(res) &&
          this.#siblingsSettled &&
          !this.#keepSibling(res)
        )
          this.#vouched.add(res);
      }
      this.#ownBase = resources;
      const key = listKey(resources);
      // The server holds something other than what we sent (a sibling or a stale client
      // published over it): our `current` must go out again even if our own view is unchanged.
      if (key !== this.#serverKey) this.#served.current = null;
      this.#serverKey = key;
      resources = resources.filter((r) => xmppResourceOf(r.resource) !== session.resource);
      // If a sibling published over our entries (a race), this publishes them again.
      this.#publisher.trigger();
    }
    this.index.replace(from, resources, Date.now());
    const shares = resources.reduce((n, r) => n + r.shares.length, 0);
    log.info({ from, resources: resources.length, shares }, 'received a share list');
    const contact = this.index.get(from);
    // Too large for one NATS message: `xmpp.contact` tells readers to fetch the lists (paged) again.
    if (contact && !bus.publish(contracts.contactShares, contact)) this.#publishContact(from);
    this.#publishPeers();
  }

  #onRoster(jids: string[]): void {
    const { session, log } = this.opts;
    this.rendezvous?.onRoster();
    const dropped = this.index.retain((jid) => session.isTrusted(jid));
    for (const jid of dropped) this.#reader.forget(jid);
    for (const jid of jids) {
      if (session.roster.has(jid)) this.#publishContact(jid);
      else if (this.pending.delete(jid)) log.info({ jid }, 'a pending request’s contact left the roster');
    }
    if (dropped.length > 0) {
      log.info({ dropped }, 'forgot the lists of contacts no longer followed');
      this.#publishPeers();
    }
  }

  async #publish(): Promise<void> {
    const { session, log } = this.opts;
    if (!session.online || !this.#baseKnown || this.#stopping) return;
    const own = this.engines.entries(Date.now(), session.resource, this.#extraAddresses);
    const list = mergeOwnList({
      base: this.#ownBase,
      own,
      ownResource: session.resource,
      keepSibling: (r) => this.#keepSibling(r),
    });
    const key = listKey(list);
    if (key === this.#serverKey) return;
    const started = Date.now();
    const sent = await this.#send(list);
    this.#serverKey = key;
    this.#ownBase = list;
    this.#lastPublishedList = list;
    log.info(
      {
        shares: own.reduce((n, r) => n + r.shares.length, 0),
        engines: own.length,
        resources: list.length,
        ...sent,
        ms: Date.now() - started,
      },
      'published our share list',
    );
    this.#scheduleReadBack();
  }

  #scheduleReadBack(): void {
    if (this.#readBackTimer) clearTimeout(this.#readBackTimer);
    const base = this.opts.readBackMs ?? 2_000;
    this.#readBackTimer = setTimeout(() => void this.#readBack(), base + Math.random() * base * 0.5);
  }

  /** Compare the server's item with what we believe it holds; merge and publish again if not. */
  async #readBack(): Promise<void> {
    const { session, log } = this.opts;
    this.#readBackTimer = null;
    if (!session.online || this.#stopping) return;
    try {
      const item = await session.fetchOwnItem();
      const resources = item ? await this.#reader.read(session.bareJid, item) : [];
      if (!resources || this.#stopping) return;
      const key = listKey(resources);
      if (key === this.#serverKey) return;
      log.info(
        { entries: resources.map((r) => r.resource) },
        'our item on the server is not what we published (a sibling published at the same time); merging again',
      );
      this.#ownBase = resources;
      this.#serverKey = key;
      this.#served.current = null;
      this.#publisher.trigger();
    } catch (err) {
      log.warn({ err }, 'could not read our own item back');
    }
  }

  /**
   * Publish `list`, one stanza at a time, each waiting for the server's result and paced below
   * its read rate: the buckets that changed, the index, then `current` if it changed (a list
   * small enough goes whole in `current`).
   */
  async #send(
    list: ResourceEntry[],
  ): Promise<{ bytes: number; stanzas: number; buckets: number; currentBytes: number }> {
    const layout = layoutList(
      list,
      this.opts.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES,
      this.opts.directListBytes ?? DEFAULT_DIRECT_LIST_BYTES,
      this.#lastLayout ?? undefined,
    );
    this.#lastLayout = layout;
    let bytes = 0;
    let stanzas = 0;
    const send = async (payload: Element, node?: string, id?: string) => {
      const size = Buffer.byteLength(payload.toString()) + ENVELOPE_BYTES / 4;
      await this.#pace.take(size);
      await this.opts.session.publish(payload, node, id);
      bytes += size;
      stanzas += 1;
    };
    let buckets = 0;
    if (layout.index && layout.indexId) {
      for (const b of layout.buckets) {
        if (this.#served.buckets.get(b.index) === b.id) continue;
        await send(b.payload, bucketNode(b.index), b.id);
        this.#served.buckets.set(b.index, b.id);
        buckets += 1;
      }
      // Our own index comes back as a notification: its buckets need not be fetched.
      this.#reader.remember(this.opts.session.bareJid, layout.buckets);
      if (this.#served.indexId !== layout.indexId) {
        await send(layout.index, INDEX_NODE, layout.indexId);
        this.#served.indexId = layout.indexId;
      }
    }
    const current = layout.current.toString();
    if (this.#served.current !== current) {
      await send(layout.current);
      this.#served.current = current;
    }
    return { bytes, stanzas, buckets, currentBytes: Buffer.byteLength(current) };
  }
}
