import type { Logger } from '@bitween/bus';
import { coalesce } from '@bitween/runtime';
import type { Element } from '@xmpp/xml';
import { xmppResourceOf } from '../domain/entry-names.js';
import { listKey, mergeOwnList } from '../domain/own-list.js';
import type { PresenceBook } from '../domain/presence-book.js';
import { ENVELOPE_BYTES, INDEX_NODE, bucketNode, layoutList, type Layout } from '../protocol/buckets.js';
import { purgeNode } from '../protocol/pubsub.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { BulkChannel, BulkSession } from '../xmpp/bulk-session.js';
import type { XmppSession } from '../xmpp/session.js';
import { FOREGROUND_RESERVE_BYTES, type UploadPace } from '../xmpp/upload-pace.js';
import type { ListReader } from './list-reader.js';

export const DEFAULT_MAX_STANZA_BYTES = 64 * 1024;
/** A change of a list in buckets costs about a bucket and the index: keep a whole list below that too. */
export const DEFAULT_DIRECT_LIST_BYTES = 8 * 1024;
/**
 * A list in buckets: `current` (tens of kB, read only by original peers) is written once the list
 * has not changed for this long, after the change's buckets and index, so that a change never
 * waits behind it (ejabberd's stock shaper reads 49 kB in ~10 s).
 */
export const DEFAULT_CURRENT_QUIET_MS = 2_000;
/** A publish of more buckets than this (a first publish) leaves the pace's burst to the next change. */
const BULK_BUCKETS = 2;
/** `current` sent through the bulk session failed: try again this much later (or on the next change). */
const CURRENT_RETRY_MS = 30_000;

export interface OwnListTiming {
  /**
   * After login, how long to wait for our own account's last item before publishing anyway
   * (publishing without it could erase a sibling instance's entry).
   */
  ownItemWaitMs?: number | undefined;
  /**
   * After login, how long a sibling instance listed in our account's item may go without
   * presence before its entry is dropped (presence of our other resources arrives just after
   * login).
   */
  siblingGraceMs?: number | undefined;
  /**
   * After each publish, read our item back after this long (plus up to 50 % jitter) and merge
   * again if the server holds something else: PEP has no compare-and-swap, and the notification
   * that would tell us a sibling overwrote our entry is not guaranteed (Prosody sometimes sends
   * none when two resources publish at the same moment).
   */
  readBackMs?: number | undefined;
  /**
   * The largest stanza we send (servers close the stream on larger ones: Prosody 0.12 takes
   * 256 KiB from a client, ejabberd's shipped config 64 KiB). Larger lists go out in buckets.
   */
  maxStanzaBytes?: number | undefined;
  /** A list up to this size goes out whole in `current`; a larger one in buckets (protocol/buckets.ts). */
  directListBytes?: number | undefined;
  /** A list in buckets: how long it must stay unchanged before `current` is written. */
  currentQuietMs?: number | undefined;
}

export interface OwnListPublisherOptions extends OwnListTiming {
  session: XmppSession;
  log: Logger;
  pace: UploadPace;
  reader: ListReader;
  presence: PresenceBook;
  /** Our own entries as they are now (one per live engine, with our addresses). */
  ownEntries(): ResourceEntry[];
  /**
   * The presence-less session for bulk uploads (`current`, a first publish's buckets): `current`
   * then goes out beside the publishing of changes, never in front of one. Absent or not online:
   * everything goes through `session`.
   */
  bulk?: BulkSession | undefined;
}

/**
 * Publishes our account's share list to PEP: our own entries (one per engine) merged into the
 * account's last item (which holds our sibling instances'), sent in buckets when large (only
 * what changed), read back after each publish and merged again when a sibling published over it;
 * withdraws our entries on stop.
 */
export class OwnListPublisher {
  /** The last item of our account's node as we know it (from the server or our last publish). */
  #ownBase: ResourceEntry[] = [];
  /** listKey of what the server holds now; null = unknown (publish). */
  #serverKey: string | null = null;
  /** listKey of the list being published now (its index comes back before `current` is sent). */
  #sendingKey: string | null = null;
  /** Our own item is known (or we stopped waiting for it): publishing may start. */
  #baseKnown = false;
  #siblingsSettled = false;
  /** Siblings whose entry came back after we dropped it: they are alive although we saw no presence. */
  readonly #vouched = new Set<string>();
  /** When (performance.now()) each sibling was last seen going offline. */
  readonly #wentOffline = new Map<string, number>();
  #lastPublishedList: ResourceEntry[] = [];
  #settleTimer: NodeJS.Timeout | null = null;
  #readBackTimer: NodeJS.Timeout | null = null;
  #currentTimer: NodeJS.Timeout | null = null;
  /** `current` going out through the bulk session (beside the publishing of changes). */
  #currentInFlight: Promise<void> | null = null;
  /** When the last change of the list was published (`current` waits for quiet after it). */
  #changedAt = 0;
  #generation = 0;
  /** What the server holds for us: bucket ids (by index), the index's id and `current`'s text. */
  #served: { buckets: Map<number, string>; indexId: string | null; current: string | null } = {
    buckets: new Map(),
    indexId: null,
    current: null,
  };
  /** Bucket nodes that may hold an item of ours (a larger list's too): emptied when the list is back in `current`. */
  readonly #bucketNodes = new Set<number>();
  /** The last list layout: its unchanged buckets are reused by the next. */
  #lastLayout: Layout | null = null;
  /** Set by stop(): nothing is published any more (our withdrawal's echo must not undo it). */
  #stopping = false;
  readonly #publisher;

  constructor(private readonly opts: OwnListPublisherOptions) {
    this.#publisher = coalesce(
      () => this.#publish(),
      (err) => opts.log.warn({ err }, 'publishing the share list failed (will retry on the next change)'),
    );
  }

  /** Something we publish may have changed: publish if the list differs from the server's. */
  trigger(): void {
    this.#publisher.trigger();
  }

  /** Resolves when no publish is running or pending (tests). */
  idle(): Promise<void> {
    return this.#publisher.idle();
  }

  /**
   * Every hash our sibling instances (other resources of our account) list, as we know it; null
   * until our account's item is known after login (siblings unknown yet).
   */
  siblingHashes(): Set<string> | null {
    if (!this.#baseKnown) return null;
    const ours = this.opts.session.resource;
    return new Set(
      this.#ownBase
        .filter((r) => xmppResourceOf(r.resource) !== ours)
        .flatMap((r) => r.shares.map((s) => s.hash.toLowerCase())),
    );
  }

  /** The bucket ids (by index) the server holds for us, read from our own index. */
  serverHoldsBuckets(ids: string[]): void {
    this.#served.buckets = new Map(ids.map((id, k) => [k, id]));
    for (const k of this.#served.buckets.keys()) this.#bucketNodes.add(k);
  }

  /** We logged in: learn what the server holds for us (siblings' entries), then publish once. */
  async onOnline(): Promise<void> {
    const { session, log } = this.opts;
    const generation = ++this.#generation;
    this.#baseKnown = false;
    this.#siblingsSettled = false;
    this.#serverKey = null;
    this.#served.current = null;
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
        // (A full list in buckets is read as well: the sibling entries beyond `current` matter.)
        const resources = await this.opts.reader.read(session.bareJid, item);
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

  onOffline(): void {
    this.#baseKnown = false;
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
  }

  /** A sibling instance (another resource of our account) went on- or offline. */
  onSiblingPresence(resource: string, available: boolean): void {
    if (!available) {
      this.#vouched.delete(resource);
      this.#wentOffline.set(resource, performance.now());
      this.opts.log.info({ resource }, 'a sibling instance went offline: its entry is no longer republished');
    }
    this.#publisher.trigger();
  }

  /**
   * Our own node's list arrived (notification or refresh): what the server holds now, and how we
   * learn about sibling instances. Returns the siblings' entries (what contacts' lists hold for
   * our account). `notifiedAt` (performance.now() when a notification arrived, before it was
   * read): only a notification is news from a sibling; a fetched item may still hold the entry
   * of a sibling that crashed before anyone published over it.
   */
  onOwnList(resources: ResourceEntry[], notifiedAt?: number): ResourceEntry[] {
    const { session } = this.opts;
    const published = new Set(this.#lastPublishedList.map((r) => xmppResourceOf(r.resource)));
    for (const r of resources) {
      const res = xmppResourceOf(r.resource);
      // A sibling entry we had dropped came back in a notification sent after the sibling went
      // offline (reading a notification is asynchronous: one sent before its unavailable presence
      // may be read after it, and must not keep a crashed sibling for ever): it is alive.
      if (
        res !== session.resource &&
        notifiedAt !== undefined &&
        notifiedAt > (this.#wentOffline.get(res) ?? -Infinity) &&
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
    // (Not when it is the list being published: our own index, pushed back before `current`.)
    if (key !== this.#serverKey && key !== this.#sendingKey) this.#served.current = null;
    this.#serverKey = key;
    // If a sibling published over our entries (a race), this publishes them again.
    this.#publisher.trigger();
    return resources.filter((r) => xmppResourceOf(r.resource) !== session.resource);
  }

  /** Stop publishing; withdraw our entries (the last instance of the account leaves an empty list). */
  async stop(): Promise<void> {
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    if (this.#readBackTimer) clearTimeout(this.#readBackTimer);
    if (this.#currentTimer) clearTimeout(this.#currentTimer);
    this.#stopping = true;
    await this.#publisher.idle();
    const { session, log } = this.opts;
    if (!session.online) return;
    const rest = mergeOwnList({
      base: this.#ownBase,
      own: null,
      ownResource: session.resource,
      keepSibling: (r) => this.#keepSibling(r),
    });
    try {
      await this.#send(rest, true);
      log.info({ remainingResources: rest.length }, 'withdrew our shares');
    } catch (err) {
      log.warn({ err }, 'could not withdraw our shares');
    }
  }

  #keepSibling(resource: string): boolean {
    if (!this.#siblingsSettled) return true;
    const { presence, session } = this.opts;
    return this.#vouched.has(resource) || presence.isOnline(session.bareJid, resource);
  }

  /** The list we want on the server: our own entries merged into the account's item. */
  #wanted(): { own: ResourceEntry[]; list: ResourceEntry[]; key: string } {
    const own = this.opts.ownEntries();
    const list = mergeOwnList({
      base: this.#ownBase,
      own,
      ownResource: this.opts.session.resource,
      keepSibling: (r) => this.#keepSibling(r),
    });
    return { own, list, key: listKey(list) };
  }

  async #publish(): Promise<void> {
    const { session, log } = this.opts;
    if (!session.online || !this.#baseKnown || this.#stopping) return;
    const { own, list, key } = this.#wanted();
    if (key === this.#serverKey) return this.#sendCurrentWhenQuiet();
    const started = Date.now();
    this.#sendingKey = key;
    let sent;
    try {
      sent = await this.#send(list, false);
    } finally {
      this.#sendingKey = null;
    }
    this.#changedAt = Date.now();
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
    // A newer change (already triggered) goes first; `current` follows once the list is quiet.
    if (this.#pendingCurrent()) this.#scheduleCurrent(this.opts.currentQuietMs ?? DEFAULT_CURRENT_QUIET_MS);
  }

  /** `current` of the list the server holds, when it is not what the server holds yet; else null. */
  #pendingCurrent(): Element | null {
    const layout = this.#lastLayout;
    if (!layout?.index) return null; // a list in `current` alone went out whole
    return this.#served.current === layout.current.toString() ? null : layout.current;
  }

  #scheduleCurrent(delayMs: number): void {
    if (this.#currentTimer) clearTimeout(this.#currentTimer);
    this.#currentTimer = setTimeout(() => {
      this.#currentTimer = null;
      this.#publisher.trigger();
    }, delayMs);
  }

  /**
   * The list is what the server holds: write its `current` once the list has been quiet for
   * `currentQuietMs` (a newer change supersedes it), as bulk sending that leaves the pace's burst
   * to the next change.
   */
  async #sendCurrentWhenQuiet(): Promise<void> {
    const current = this.#pendingCurrent();
    if (!current || this.#currentInFlight) return;
    const due = this.#changedAt + (this.opts.currentQuietMs ?? DEFAULT_CURRENT_QUIET_MS) - Date.now();
    if (due > 0) return this.#scheduleCurrent(due);
    const text = current.toString();
    const size = Buffer.byteLength(text) + ENVELOPE_BYTES / 4;
    const bulk = this.opts.bulk?.use();
    if (bulk) {
      // Its own connection and pace: this publish run ends now, and a change goes out at once.
      this.#currentInFlight = this.#writeCurrentBeside(current, size, bulk).finally(() => {
        this.#currentInFlight = null;
        // The list changed meanwhile and its quiet has passed: its `current` is next.
        if (!this.#stopping && !this.#currentTimer && this.#pendingCurrent()) this.#publisher.trigger();
      });
      return;
    }
    const started = Date.now();
    const { pace, session } = this.opts;
    // Wait for the pace's burst before taking a turn: a change made meanwhile goes first.
    await pace.spare(size, FOREGROUND_RESERVE_BYTES);
    if (!session.online || this.#stopping) return;
    if (this.#wanted().key !== this.#serverKey) return this.#publisher.trigger();
    await pace.take(size);
    this.opts.log.debug({ bytes: size }, 'writing our original-format item');
    await session.publish(current);
    this.#served.current = text;
    this.opts.log.info({ bytes: size, ms: Date.now() - started }, 'published our original-format item');
  }

  /** Write `current` through the bulk session (a list changed meanwhile writes its own later). */
  async #writeCurrentBeside(current: Element, size: number, bulk: BulkChannel): Promise<void> {
    const { log } = this.opts;
    const started = Date.now();
    try {
      await bulk.pace.take(size);
      if (this.#stopping || this.#wanted().key !== this.#serverKey) return;
      log.debug({ bytes: size, via: 'bulk' }, 'writing our original-format item');
      await bulk.session.publish(current);
      this.#served.current = current.toString();
      log.info({ bytes: size, ms: Date.now() - started, via: 'bulk' }, 'published our original-format item');
    } catch (err) {
      log.warn(
        { err },
        'writing our original-format item through the bulk session failed (trying again later)',
      );
      this.#scheduleCurrent(CURRENT_RETRY_MS);
    }
  }

  /** Remove every item of our PEP node `node` (a node that does not exist is fine). */
  async #purge(node: string): Promise<void> {
    const { session, pace } = this.opts;
    await pace.take(200 + node.length);
    try {
      await session.iq('set', session.bareJid, purgeNode(node), 30_000);
    } catch (err) {
      if ((err as { condition?: string }).condition !== 'item-not-found') throw err;
    }
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
    // The server's `current` is still the previous one: read back once it is written.
    if (this.#pendingCurrent()) return this.#scheduleReadBack();
    try {
      const item = await session.fetchOwnItem();
      const resources = item ? await this.opts.reader.read(session.bareJid, item) : [];
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
   * its read rate: the buckets that changed, the index, then `current` if it changed and
   * `withCurrent` (else #sendCurrentWhenQuiet writes it later; a list small enough goes whole in
   * `current`, at once). A bulk publish (a first one) leaves the pace's burst to the next change.
   */
  async #send(
    list: ResourceEntry[],
    withCurrent: boolean,
  ): Promise<{ bytes: number; stanzas: number; buckets: number; currentBytes: number | null }> {
    const { session, pace } = this.opts;
    const layout = layoutList(
      list,
      this.opts.maxStanzaBytes ?? DEFAULT_MAX_STANZA_BYTES,
      this.opts.directListBytes ?? DEFAULT_DIRECT_LIST_BYTES,
      this.#lastLayout ?? undefined,
    );
    this.#lastLayout = layout;
    let bytes = 0;
    let stanzas = 0;
    const send = async (
      payload: Element,
      node?: string,
      id?: string,
      reserve = 0,
      bulk?: BulkChannel | null,
    ) => {
      const size = Buffer.byteLength(payload.toString()) + ENVELOPE_BYTES / 4;
      // (Through the bulk session: its own pace, nothing else waits behind it there.)
      if (bulk) await bulk.pace.take(size);
      else await pace.take(size, reserve);
      await (bulk?.session ?? session).publish(payload, node, id);
      bytes += size;
      stanzas += 1;
    };
    let buckets = 0;
    if (layout.index && layout.indexId) {
      const changed = layout.buckets.filter((b) => this.#served.buckets.get(b.index) !== b.id);
      const reserve = changed.length > BULK_BUCKETS ? FOREGROUND_RESERVE_BYTES : 0;
      // Each bucket's result comes back before the index (on the main session) names it.
      const bulk = reserve > 0 ? this.opts.bulk?.use() : null;
      for (const b of changed) {
        if (this.#served.buckets.get(b.index) === b.id) continue;
        this.#bucketNodes.add(b.index);
        await send(b.payload, bucketNode(b.index), b.id, reserve, bulk);
        this.#served.buckets.set(b.index, b.id);
        buckets += 1;
      }
      // Our own index comes back as a notification: its buckets need not be fetched.
      this.opts.reader.remember(session.bareJid, layout.buckets);
      if (this.#served.indexId !== layout.indexId) {
        await send(layout.index, INDEX_NODE, layout.indexId);
        this.#served.indexId = layout.indexId;
      }
    }
    const current = layout.current.toString();
    let currentBytes: number | null = null;
    if (this.#served.current !== current && (withCurrent || !layout.index)) {
      // A list in buckets (withdrawal), or any list while a `current` goes out through the bulk
      // session: behind it there (one connection keeps the order).
      const behind = layout.index || this.#currentInFlight ? this.opts.bulk?.use() : null;
      await send(layout.current, undefined, undefined, 0, behind);
      this.#served.current = current;
      currentBytes = Buffer.byteLength(current);
    }
    // Back in `current` alone (the list shrank): the index and buckets of the larger list go, or
    // a reader that checks the index (lists/list-check.ts) would keep reading that stale list.
    if (!layout.index && (this.#served.indexId !== null || this.#bucketNodes.size > 0)) {
      await this.#purge(INDEX_NODE);
      this.#served.indexId = null;
      stanzas += 1;
      for (const k of [...this.#bucketNodes]) {
        await this.#purge(bucketNode(k));
        this.#bucketNodes.delete(k);
        this.#served.buckets.delete(k);
        stanzas += 1;
      }
      this.opts.reader.remember(session.bareJid, []);
    }
    return { bytes, stanzas, buckets, currentBytes };
  }
}
