import { xmpp, type Contact } from '@bitween/messages';
import type { Bus, EngineRegistry, Logger } from '@bitween/bus';
import { randomBytes } from 'node:crypto';
import { RosterContacts } from './contacts/roster-contacts.js';
import { SubscriptionRequests } from './contacts/subscription-requests.js';
import { ContactIndex } from './domain/contact-index.js';
import { EngineView } from './domain/engine-view.js';
import { xmppResourceOf } from './domain/entry-names.js';
import type { PendingSubscriptions } from './domain/pending-subscriptions.js';
import { PresenceBook } from './domain/presence-book.js';
import { EngineWatch } from './engines/engine-watch.js';
import { PeersPublisher } from './engines/peers-publisher.js';
import { FriendsLists } from './lists/friends-lists.js';
import { ListCheck } from './lists/list-check.js';
import { GroupListPublisher } from './lists/group-list-publisher.js';
import { GroupListReader } from './lists/group-list-reader.js';
import type { VisibilityView } from './domain/visibility-view.js';
import { GroupNodeNames } from './protocol/group-nodes.js';
import { ListReader } from './lists/list-reader.js';
import { FileSharingPublisher } from './lists/file-sharing-publisher.js';
import { OwnListPublisher, type OwnListTiming } from './lists/own-list-publisher.js';
import { GatewayEvents } from './nats-adapter.js';
import { OfferFile } from './offers/offer-file.js';
import { ShareOffers } from './offers/share-offers.js';
import { CAPS_NODE } from './protocol/caps.js';
import type { Limits } from './protocol/shares-codec.js';
import { Rendezvous, type RendezvousOptions } from './rendezvous/rendezvous.js';
import { BulkSession, bulkLog } from './xmpp/bulk-session.js';
import type { XmppSession } from './xmpp/session.js';
import { UploadPace, type UploadSettings } from './xmpp/upload-pace.js';

export interface GatewayOptions extends OwnListTiming {
  session: XmppSession;
  /**
   * A second, presence-less session of the account (`presenceless: true`, its own resource) for
   * the share list's bulk uploads (xmpp/bulk-session.ts). Absent: everything on `session`.
   */
  bulkSession?: XmppSession | undefined;
  bus: Bus;
  registry: EngineRegistry;
  log: Logger;
  /** How often engine liveness is re-evaluated (a crashed engine's shares are withdrawn). */
  engineCheckMs: number;
  limits?: Limits;
  /**
   * How often (ms, jittered) each online bitween contact's list is checked against the server's,
   * in case a notification was lost (lists/list-check.ts). Absent or 0: never.
   */
  listCheckMs?: number;
  /** Approve every subscription request at once (off by default: the user decides). */
  autoApprove?: boolean;
  /**
   * The pace of bulk sending (list publishing, bucket fetches), below the server's read rate
   * (xmpp/pacer.ts). Unset: chosen from the server's software (XEP-0092), else the strictest
   * stock limit known (ejabberd's 3000 B/s).
   */
  upload?: UploadSettings;
  /** Which roster groups see each share (absent: every contact sees every share). */
  visibility?: VisibilityView;
  /** Where offers (shares friends sent us) are kept across restarts; absent: in memory only. */
  dataDir?: string;
  /**
   * Rendezvous (tickets, `<connect/>`): the ticket secret and options. Absent: the gateway takes
   * no part (unit tests of other behaviour).
   */
  rendezvous?: Pick<
    RendezvousOptions,
    'secret' | 'rateLimit' | 'ticketTimeoutMs' | 'connectTimeoutMs' | 'engineTimeoutMs'
  >;
}

/**
 * The gateway of one XMPP account, composed: publishes what the engines share (one
 * `<resource/>` entry per engine), keeps friends' lists with their presence, holds subscription
 * requests for the user, and hands the engines the endpoints of online friends for the hashes
 * they hold. This module builds the parts and routes the session's events to them.
 */
export class Gateway {
  readonly presence = new PresenceBook();
  readonly index: ContactIndex;
  readonly engines = new EngineView();
  /** Tickets and `<connect/>` (null without `rendezvous` options). */
  readonly rendezvous: Rendezvous | null;
  /** Shares sent to and from friends (XEP-0447 messages, offers). */
  readonly offers: ShareOffers;
  /** Site-wide addresses (configured or discovered public address) added to every engine's entry. */
  #extraAddresses: string[] = [];
  readonly #events: GatewayEvents;
  readonly #contacts: RosterContacts;
  readonly #subscriptions: SubscriptionRequests;
  readonly #pace: UploadPace;
  readonly #bulk: BulkSession | null;
  readonly #reader: ListReader;
  readonly #publisher: OwnListPublisher;
  /** Our shares as XEP-0498 items (standard clients), besides the original node. */
  readonly #fileSharing: FileSharingPublisher;
  /** Shares only some roster groups see, on whitelist nodes (per-group visibility). */
  readonly #groups: GroupListPublisher;
  #unfollowVisibility: (() => void) | null = null;
  readonly #lists: FriendsLists;
  readonly #listCheck: ListCheck;
  readonly #peers: PeersPublisher;
  readonly #engineWatch: EngineWatch;

  constructor(private readonly opts: GatewayOptions) {
    const { session, bus, log } = opts;
    const own = session.bareJid;
    this.index = new ContactIndex((jid, entry) => {
      const resource = xmppResourceOf(entry);
      if (jid === own && resource === session.resource) return true;
      // An original with an empty resource name: its entry "" cannot be matched with one XMPP
      // resource; it is online while the contact has any resource online.
      if (resource === '') return this.presence.resources(jid).length > 0;
      return this.presence.isOnline(jid, resource);
    });
    this.rendezvous = opts.rendezvous
      ? new Rendezvous({
          ...opts.rendezvous,
          session,
          bus,
          log,
          presence: this.presence,
          index: this.index,
          engines: this.engines,
          extraAddresses: () => this.#extraAddresses,
          visibility: () => opts.visibility?.current() ?? new Map(),
        })
      : null;
    this.#events = new GatewayEvents(bus);
    this.#contacts = new RosterContacts(session, this.presence);
    this.#subscriptions = new SubscriptionRequests({
      session,
      log,
      autoApprove: opts.autoApprove,
      onRequest: (jid, receivedAt) => this.#events.subscriptionRequest(jid, receivedAt),
    });
    this.#pace = new UploadPace(opts.upload, log);
    this.#bulk = opts.bulkSession
      ? new BulkSession({
          session: opts.bulkSession,
          pace: new UploadPace(opts.upload, bulkLog(log)),
          log,
        })
      : null;
    this.#reader = new ListReader({
      session,
      log,
      pace: this.#pace,
      limits: opts.limits,
      onOwnBuckets: (ids) => this.#publisher.serverHoldsBuckets(ids),
    });
    const allEntries = () => this.engines.entries(Date.now(), session.resource, this.#extraAddresses);
    this.#groups = new GroupListPublisher({
      session,
      log,
      pace: this.#pace,
      names: new GroupNodeNames(opts.rendezvous?.secret ?? randomBytes(32)),
      ownEntries: allEntries,
      visibility: () => opts.visibility?.current() ?? new Map(),
      roster: () =>
        new Map(
          [...session.roster].map(([jid, item]) => [
            jid,
            { subscription: item.subscription, groups: item.groups ?? [] },
          ]),
        ),
    });
    // The original node and the XEP-0498 items carry only the shares every contact sees.
    const everyoneEntries = () => this.#groups.everyone(allEntries());
    this.#publisher = new OwnListPublisher({
      ...opts,
      pace: this.#pace,
      reader: this.#reader,
      presence: this.presence,
      ownEntries: everyoneEntries,
      bulk: this.#bulk ?? undefined,
    });
    this.#fileSharing = new FileSharingPublisher({
      session,
      log,
      pace: this.#pace,
      ownEntries: everyoneEntries,
      siblingHashes: () => this.#publisher.siblingHashes(),
    });
    this.#lists = new FriendsLists({
      session,
      log,
      reader: this.#reader,
      groupReader: new GroupListReader({ session, log, limits: opts.limits }),
      index: this.index,
      ownList: (resources, notifiedAt) => this.#publisher.onOwnList(resources, notifiedAt),
      onList: (jid) => this.#listChanged(jid),
    });
    this.#listCheck = new ListCheck({
      intervalMs: opts.listCheckMs ?? 0,
      log,
      contacts: () =>
        [...session.roster.keys()].filter((jid) => session.isTrusted(jid) && this.presence.runsBitween(jid)),
      check: (jid) => this.#lists.checkContact(jid),
    });
    this.offers = new ShareOffers({
      session,
      log,
      engines: this.engines,
      index: this.index,
      limits: { max: xmpp.MAX_OFFERS, perSender: xmpp.MAX_OFFERS_PER_FRIEND },
      file: opts.dataDir ? new OfferFile(opts.dataDir) : null,
      onOffer: (offer) => this.#events.offerReceived(offer),
      onChange: () => this.#peers.publish(),
      extraAddresses: () => this.#extraAddresses,
      visibility: () => opts.visibility?.current() ?? new Map(),
    });
    this.#peers = new PeersPublisher(
      this.index,
      this.engines,
      this.#events,
      () => this.#extraAddresses,
      (hashes) => this.offers.endpointsFor(hashes),
    );
    this.#engineWatch = new EngineWatch({
      registry: opts.registry,
      engines: this.engines,
      log,
      engineCheckMs: opts.engineCheckMs,
      onChange: () => {
        this.#publisher.trigger();
        this.#fileSharing.trigger();
        this.#groups.trigger();
        this.#peers.publish();
      },
      // Cheap: publishes only if the list differs from the server's.
      onUnchanged: () => this.#publisher.trigger(),
    });
  }

  async start(): Promise<void> {
    const { session } = this.opts;
    session.on('online', () => this.#onOnline());
    session.on('offline', () => this.#onOffline());
    session.on('notification', (from, event) => this.#lists.onNotification(from, event));
    session.on('rejectedNotification', (rejected) => this.#lists.onRejected(rejected));
    session.on('presence', (bare, resource, available, capsNode) =>
      this.#onPresence(bare, resource, available, capsNode === CAPS_NODE),
    );
    session.on('subscription', (bare, type) => void this.#subscriptions.onSubscription(bare, type));
    session.on('roster', (jids) => this.#onRoster(jids));
    session.on('shareMessage', (from, stanza) => this.offers.onMessage(from, stanza));
    await this.offers.load();
    this.rendezvous?.start();
    this.#unfollowVisibility =
      this.opts.visibility?.onChange(() => {
        this.#publisher.trigger();
        this.#fileSharing.trigger();
        this.#groups.trigger();
      }) ?? null;
    await this.#engineWatch.start();
    session.start();
    this.#bulk?.start();
  }

  async stop(): Promise<void> {
    this.#engineWatch.stop();
    this.#listCheck.stop();
    this.#unfollowVisibility?.();
    this.rendezvous?.stop();
    await this.#publisher.stop(); // withdraws our shares
    await Promise.all([this.opts.session.stop(), this.#bulk?.stop()]);
    await this.offers.idle();
  }

  status() {
    const { session } = this.opts;
    return {
      jid: session.bareJid,
      online: session.online,
      contacts: this.#contacts.followed(),
      droppedEntries: this.#reader.droppedEntries,
      ...(this.rendezvous ? { droppedSignalling: this.rendezvous.dropped } : {}),
    };
  }

  /** Site-wide addresses changed (address discovery): every engine's entry gets them. */
  setExtraAddresses(addresses: string[]): void {
    this.#extraAddresses = [...addresses];
    this.#publisher.trigger();
    this.#fileSharing.trigger();
    this.#groups.trigger();
    // Our public addresses are the engines' evidence for dialling contacts on our LAN.
    this.#peers.publish();
  }

  // ---- contacts and subscriptions (NATS commands) ---------------------------------------

  get pending(): PendingSubscriptions {
    return this.#subscriptions.pending;
  }

  contacts(): Contact[] {
    return this.#contacts.list();
  }

  approve(jid: string): Promise<{ jid: string; approved: true }> {
    return this.#subscriptions.approve(jid);
  }

  deny(jid: string): Promise<{ jid: string; approved: false }> {
    return this.#subscriptions.deny(jid);
  }

  // ---- session events ---------------------------------------------------------------------

  #onOnline(): void {
    this.rendezvous?.onOnline();
    void this.#pace.detect(this.opts.session);
    void this.#publisher.onOnline();
    void this.#fileSharing.onOnline();
    void this.#groups.onOnline();
    this.#listCheck.start();
  }

  #onOffline(): void {
    this.#publisher.onOffline();
    this.#fileSharing.onOffline();
    this.#groups.onOffline();
    this.#lists.onOffline();
    this.#listCheck.stop();
    // We know nobody's presence while disconnected: every contact is offline until the server
    // sends their presence again. Their lists are kept.
    this.rendezvous?.onOffline();
    const was = this.presence.clear();
    for (const jid of was) this.#publishContact(jid);
    this.#peers.publish();
  }

  #onPresence(bare: string, resource: string, available: boolean, bitween: boolean): void {
    const { session } = this.opts;
    const wasOnline = this.presence.resources(bare).length > 0;
    if (!this.presence.set(bare, resource, available, bitween)) return;
    this.rendezvous?.onPresence(bare, resource, available);
    // A contact came online (also: everyone online, just after our login): read its item once.
    if (available && !wasOnline && bare !== session.bareJid && session.isTrusted(bare)) {
      this.opts.log.debug({ jid: bare }, 'a contact came online: reading its list');
      this.#lists.contactOnline(bare);
    }
    if (bare === session.bareJid) this.#publisher.onSiblingPresence(resource, available);
    else this.#publishContact(bare);
    // Entries of this resource went on- or offline: engines get the endpoints of online ones.
    if (this.index.has(bare)) this.#peers.publish();
  }

  #onRoster(jids: string[]): void {
    this.rendezvous?.onRoster();
    const dropped = this.#lists.forgetUntrusted();
    // Group members follow the roster (groups and subscriptions).
    this.#groups.trigger();
    this.offers.retainTrusted();
    for (const jid of jids) {
      if (this.#contacts.has(jid)) this.#publishContact(jid);
      else this.#subscriptions.onRosterLeft(jid);
    }
    if (dropped.length > 0) {
      this.opts.log.info({ dropped }, 'forgot the lists of contacts no longer followed');
      this.#peers.publish();
    }
  }

  /** `jid`'s list in the index changed: tell the bus's readers and the engines. */
  #listChanged(jid: string): void {
    const contact = this.index.get(jid);
    // Too large for one NATS message: `xmpp.contact` tells readers to fetch the lists (paged) again.
    if (contact && !this.#events.contactShares(contact)) this.#publishContact(jid);
    this.#peers.publish();
  }

  #publishContact(jid: string): void {
    if (this.#contacts.has(jid)) this.#events.contactChanged(this.#contacts.get(jid));
  }
}
