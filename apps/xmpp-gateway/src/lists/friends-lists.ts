import type { Logger } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import type { ContactIndex } from '../domain/contact-index.js';
import { mergeGroupEntries } from '../domain/group-plan.js';
import { listKey } from '../domain/own-list.js';
import { RefreshQueue } from '../domain/refresh-queue.js';
import type { RejectedNotification } from '../protocol/notification.js';
import type { SharesEvent } from '../protocol/pubsub.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import type { GroupListReader } from './group-list-reader.js';
import { itemKey, type ListReader, type SeenItem } from './list-reader.js';

/** Contacts' items fetched at once after login (one small IQ each). */
const REFRESH_CONCURRENCY = 4;
/** Contacts' items fetched at once by the periodic check (lists/list-check.ts). */
const CHECK_CONCURRENCY = 2;

export interface FriendsListsOptions {
  session: XmppSession;
  log: Logger;
  reader: ListReader;
  /** Reads the group nodes a contact lets us read (per-group visibility). */
  groupReader: GroupListReader;
  index: ContactIndex;
  /** Our own account's list arrived: returns the entries to keep in the index (our siblings'). */
  /** `notifiedAt`: performance.now() when the notification arrived (undefined: a fetched item). */
  ownList(resources: ResourceEntry[], notifiedAt?: number): ResourceEntry[];
  /** `jid`'s list in the index was replaced. */
  onList(jid: string): void;
}

/**
 * Keeps friends' share lists (and our own account's, for sibling instances) in the contact
 * index: from PEP notifications, from one fetch of a contact's item when it comes online, and
 * from the periodic check (`checkContact`: the item the list was last read from is fetched
 * again, the list read only if it differs); a newer notification always wins over a slower
 * read. Spoofed events are counted and dropped.
 */
export class FriendsLists {
  /** Per sender: sequence of notifications (a slow full-list fetch must not undo a newer list). */
  readonly #sequence = new Map<string, number>();
  /** Shares events that were not PEP notifications from a contact (spoofed lists), since start. */
  #droppedEvents = 0;
  /**
   * Contacts whose current item is fetched once when they come online (also just after our
   * login): ejabberd does not always push an item published before it learnt our caps.
   */
  readonly #refresh = new RefreshQueue(REFRESH_CONCURRENCY, (jid) => this.#refreshContact(jid));
  /** Contacts whose list is checked against the server's (a notification may have been lost). */
  readonly #checks = new RefreshQueue(CHECK_CONCURRENCY, async (jid) => {
    await this.#refreshContact(jid, true);
    await this.#checkGroups(jid);
  });
  /** Per contact: its list for every contact (the original node) and the group lists it lets us read. */
  readonly #main = new Map<string, ResourceEntry[]>();
  readonly #groups = new Map<string, ResourceEntry[][]>();
  /** Per contact: its group signal's fingerprint (null: none) when its group lists were last read. */
  readonly #groupSignals = new Map<string, string | null>();
  /**
   * Per contact: its group nodes are being read; `again`: a signal came meanwhile (read once more
   * after this one, however many came: a contact cannot make us read more than one at a time).
   */
  readonly #groupReads = new Map<string, { again: boolean }>();

  constructor(private readonly opts: FriendsListsOptions) {}

  /** A contact came online (also: everyone online, just after our login): read its item once. */
  contactOnline(jid: string): void {
    this.#refresh.add(jid);
  }

  /**
   * Check `jid`'s list against the server's (the periodic check): fetch the item it was last
   * read from (`current`, or the index of a list in buckets: one small IQ) and read the list
   * again only if that item changed; then its group signal, and its group lists only if it changed.
   */
  checkContact(jid: string): void {
    this.#checks.add(jid);
  }

  /** Our connection dropped: no item is fetched until we are back. */
  onOffline(): void {
    this.#refresh.clear();
    this.#checks.clear();
  }

  /** Forget the lists of contacts no longer followed; returns their JIDs. */
  forgetUntrusted(): string[] {
    const { index, reader, session } = this.opts;
    const dropped = index.retain((jid) => session.isTrusted(jid));
    for (const jid of dropped) reader.forget(jid);
    for (const jid of [...this.#main.keys(), ...this.#groups.keys()]) {
      if (session.isTrusted(jid)) continue;
      this.#main.delete(jid);
      this.#groups.delete(jid);
      this.#groupSignals.delete(jid);
    }
    return dropped;
  }

  /** A spoofed list (an event not sent by a contact's PEP service): counted, logged at debug only (anyone can send them). */
  onRejected(rejected: RejectedNotification): void {
    this.#droppedEvents += 1;
    const { from, type, reason } = rejected;
    this.opts.log.debug(
      { from, type, reason, droppedEvents: this.#droppedEvents },
      'dropped a shares event that is not a PEP notification from a contact',
    );
  }

  onNotification(from: string, event: SharesEvent): void {
    const { session, log, reader } = this.opts;
    // (The session passes PEP notifications of our own account and of contacts only.)
    if (!session.isTrusted(from)) {
      this.onRejected({ ok: false, from, type: null, reason: 'not a contact' });
      return;
    }
    if (event.kind === 'groups') {
      if (from !== session.bareJid) void this.#readGroups(from);
      return;
    }
    const notifiedAt = performance.now();
    const sequence = (this.#sequence.get(from) ?? 0) + 1;
    this.#sequence.set(from, sequence);
    const payload = event.kind === 'item' ? event.payload : null;
    const index = event.kind === 'item' && event.index === true;
    void (async () => {
      const resources = !payload
        ? []
        : index
          ? await reader.readIndexed(from, payload)
          : await reader.read(from, payload);
      // A newer notification from this sender arrived while we were reading this one.
      if (resources === null || this.#sequence.get(from) !== sequence) return;
      this.#apply(from, resources, notifiedAt);
    })().catch((err: unknown) => log.warn({ err, from }, 'could not handle a shares notification'));
  }

  /**
   * Fetch `jid`'s current item and apply it like a notification, unless a notification from
   * `jid` arrives meanwhile (it is at least as new). `check`: fetch the item its list was last
   * read from instead (the index of a list in buckets), and stop there if it did not change.
   */
  async #refreshContact(jid: string, check = false): Promise<void> {
    const { session, log, index, reader } = this.opts;
    if (!session.online || !session.isTrusted(jid)) return;
    const before = this.#sequence.get(jid) ?? 0;
    const seen = check ? reader.seen(jid) : undefined;
    let node: SeenItem['node'] = seen?.node ?? 'current';
    let item: Element | null;
    try {
      if (!check) item = await session.fetchItem(undefined, jid);
      else {
        item = await reader.fetchLatest(jid, node);
        // No index any more: the list is whole in `current` again (or gone).
        if (!item && node === 'index') item = await reader.fetchLatest(jid, (node = 'current'));
      }
    } catch (err) {
      log.debug({ jid, check, err: (err as Error).message }, 'could not fetch a contact’s current item');
      return;
    }
    if (check && item && seen?.node === node && seen.key === itemKey(item)) {
      log.debug({ jid, node }, 'checked a contact’s list: unchanged');
      return;
    }
    // A notification that arrived meanwhile is at least as new as what we fetched.
    const superseded = (this.#sequence.get(jid) ?? 0) !== before;
    log.debug({ jid, node, published: item !== null, superseded, check }, 'fetched a contact’s current item');
    if (session.isTrusted(jid) && !check) void this.#readGroups(jid);
    if (superseded || !session.isTrusted(jid)) return;
    if (!item && !index.has(jid)) return; // nothing published, nothing known
    const sequence = before + 1;
    this.#sequence.set(jid, sequence);
    const resources = !item
      ? []
      : node === 'index'
        ? await reader.readIndexed(jid, item)
        : await reader.read(jid, item);
    if (resources === null || this.#sequence.get(jid) !== sequence) return;
    const known =
      this.#main.get(jid) ??
      index.get(jid)?.resources.map(({ resource, shares, endpoints }) => ({
        resource,
        shares,
        endpoints,
      }));
    const same = known !== undefined && listKey(known) === listKey(resources);
    if (same) return;
    if (check)
      log.info({ from: jid, node }, 'a contact’s list changed and no notification told us: read it again');
    this.#apply(jid, resources);
  }

  #apply(from: string, received: ResourceEntry[], notifiedAt?: number): void {
    const { session, log, index } = this.opts;
    // Our own node: what the server holds now, and how we learn about sibling instances.
    const own = from === session.bareJid;
    if (!own) this.#main.set(from, received);
    const resources = own
      ? this.opts.ownList(received, notifiedAt)
      : mergeGroupEntries(received, this.#groups.get(from) ?? []);
    index.replace(from, resources, Date.now());
    const shares = resources.reduce((n, r) => n + r.shares.length, 0);
    log.info({ from, resources: resources.length, shares }, 'received a share list');
    this.opts.onList(from);
  }

  /** Read the group nodes `jid` lets us read, and show its list with them (one read per contact at a time). */
  async #readGroups(jid: string): Promise<void> {
    const running = this.#groupReads.get(jid);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.#groupReads.set(jid, state);
    try {
      do {
        state.again = false;
        await this.#readGroupsOnce(jid);
      } while (state.again && this.opts.session.online);
    } finally {
      this.#groupReads.delete(jid);
    }
  }

  /**
   * The periodic check of `jid`'s group lists (their signal may have been lost like any
   * notification): fetch its group signal item and read the group lists again only if it is not
   * the one they were last read at.
   */
  async #checkGroups(jid: string): Promise<void> {
    const { session, log, groupReader } = this.opts;
    if (!session.online || !session.isTrusted(jid)) return;
    let signal: string | null;
    try {
      signal = await groupReader.signal(jid);
    } catch (err) {
      log.debug({ jid, err: (err as Error).message }, 'could not fetch a contact’s group signal');
      return;
    }
    const seen = this.#groupSignals.get(jid);
    if (seen === signal || (seen === undefined && signal === null && !this.#groups.has(jid))) {
      log.debug({ jid }, 'checked a contact’s group lists: unchanged');
      return;
    }
    log.info({ from: jid }, 'a contact’s group lists changed and no notification told us: read them again');
    await this.#readGroups(jid);
  }

  async #readGroupsOnce(jid: string): Promise<void> {
    const { session, log, index, groupReader } = this.opts;
    try {
      // The signal first: a change made while the lists are read is found by the next check.
      const signal = await groupReader.signal(jid).catch(() => undefined);
      const lists = await groupReader.read(jid);
      if (!lists || !session.isTrusted(jid)) return;
      if (signal !== undefined) this.#groupSignals.set(jid, signal);
      const before = this.#groups.get(jid) ?? [];
      if (JSON.stringify(before) === JSON.stringify(lists)) return;
      if (lists.length > 0) this.#groups.set(jid, lists);
      else this.#groups.delete(jid);
      const main = this.#main.get(jid) ?? [];
      if (main.length === 0 && lists.length === 0 && !index.has(jid)) return;
      index.replace(jid, mergeGroupEntries(main, lists), Date.now());
      log.info(
        {
          from: jid,
          groupLists: lists.length,
          shares: lists.flat().reduce((n, r) => n + r.shares.length, 0),
        },
        'received group share lists',
      );
      this.opts.onList(jid);
    } catch (err) {
      log.warn({ err, from: jid }, 'could not read a contact’s group lists');
    }
  }
}
