import type { Logger } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import { createHash } from 'node:crypto';
import {
  INDEX_NODE,
  MAX_FULL_LIST_BYTES,
  bucketNode,
  hasIndexMarker,
  mergeBuckets,
  readBucket,
  readIndex,
} from '../protocol/buckets.js';
import {
  DEFAULT_LIMITS,
  decodeUserShares,
  type Limits,
  type ResourceEntry,
} from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import type { UploadPace } from '../xmpp/upload-pace.js';

/** Bucket fetches of one list at once. */
const BUCKET_FETCHES = 8;

/**
 * The item a contact's list was last read from: `current` of the original node (a whole list),
 * or the index of a list in buckets; `key` fingerprints its payload.
 */
export interface SeenItem {
  node: 'current' | 'index';
  key: string;
}

/** A fingerprint of an item's payload (the same XML gives the same key). */
export const itemKey = (payload: Element): string =>
  createHash('sha256').update(payload.toString()).digest('hex').slice(0, 32);

/** A bucket we read or published: its id and its entries. */
export interface KnownBucket {
  id: string;
  entries: ResourceEntry[];
}

export interface ListReaderOptions {
  session: XmppSession;
  log: Logger;
  pace: UploadPace;
  limits?: Limits | undefined;
  /** The bucket ids (by index) the server holds for our own account, read from our own index. */
  onOwnBuckets(ids: string[]): void;
}

/**
 * Reads a share list (a friend's or our own) from a PEP item: decodes `<user_shares/>` strictly
 * (invalid entries dropped and counted), and for a list in buckets fetches the buckets it does
 * not hold yet (paced), checks and merges them.
 */
export class ListReader {
  /** Per sender: the buckets read (by bucket index), so an unchanged one is not fetched again. */
  readonly #buckets = new Map<string, { count: number; byIndex: Map<number, KnownBucket> }>();
  /** Per sender: the item its list was last read from (a periodic check compares it with the server's). */
  readonly #seen = new Map<string, SeenItem>();
  #droppedEntries = 0;

  constructor(private readonly opts: ListReaderOptions) {}

  /** Invalid entries (and unreadable lists) dropped since start. */
  get droppedEntries(): number {
    return this.#droppedEntries;
  }

  /** Forget the buckets read from `jid` (no longer followed). */
  forget(jid: string): void {
    this.#buckets.delete(jid);
    this.#seen.delete(jid);
  }

  /** The item `jid`'s list was last read from (undefined: none read yet). */
  seen(jid: string): SeenItem | undefined {
    return this.#seen.get(jid);
  }

  /** The payload of `from`'s item `current` (original node) or index, paced like bucket fetches; null if none. */
  fetchLatest(from: string, node: SeenItem['node']): Promise<Element | null> {
    return this.#fetch(node === 'index' ? INDEX_NODE : null, from);
  }

  /** The buckets `jid`'s index names now (our own, just published): they need not be fetched. */
  remember(jid: string, buckets: (KnownBucket & { index: number })[]): void {
    this.#buckets.set(jid, {
      count: buckets.length,
      byIndex: new Map(buckets.map((b) => [b.index, { id: b.id, entries: b.entries }])),
    });
  }

  /**
   * Decode a `<user_shares/>` (strictly; invalid entries dropped and counted). When it names a
   * full list in buckets (a list too large for one stanza), fetch and read that instead; if the
   * buckets cannot be had, the partial list in the item itself is used. Null: unreadable.
   */
  async read(from: string, payload: Element): Promise<ResourceEntry[] | null> {
    const { log } = this.opts;
    const limits = this.opts.limits ?? DEFAULT_LIMITS;
    const decode = (el: Element, what: string) => {
      const decoded = decodeUserShares(el, limits);
      if (!decoded.ok) {
        this.#droppedEntries += 1;
        log.warn(
          { from, what, problems: decoded.problems, droppedEntries: this.#droppedEntries },
          'dropped a malformed shares notification',
        );
        return null;
      }
      if (decoded.problems.length > 0) {
        this.#droppedEntries += decoded.problems.length;
        log.warn(
          {
            from,
            what,
            problems: decoded.problems.slice(0, 20),
            count: decoded.problems.length,
            droppedEntries: this.#droppedEntries,
          },
          'dropped invalid entries of a shares notification',
        );
      }
      return decoded.resources;
    };
    if (!hasIndexMarker(payload)) {
      const resources = decode(payload, 'item');
      if (resources) this.#seen.set(from, { node: 'current', key: itemKey(payload) });
      return resources;
    }
    try {
      const index = await this.#fetch(INDEX_NODE, from);
      if (!index) throw new Error('the index named by the item is missing');
      const resources = await this.readIndexed(from, index);
      if (resources) return resources;
    } catch (err) {
      log.warn({ from, err: (err as Error).message }, 'could not read the full list; using the partial one');
    }
    return decode(payload, 'partial item');
  }

  /**
   * Read a list in buckets from its index: the buckets whose id we do not hold are fetched (a
   * few at a time) and checked, then everything decoded strictly and merged. Null: unreadable.
   */
  async readIndexed(from: string, payload: Element): Promise<ResourceEntry[] | null> {
    const { session, log } = this.opts;
    const limits = this.opts.limits ?? DEFAULT_LIMITS;
    const index = readIndex(payload);
    const fail = (problems: string[]) => {
      this.#droppedEntries += 1;
      log.warn(
        { from, problems: problems.slice(0, 20), droppedEntries: this.#droppedEntries },
        'dropped an unreadable share list index',
      );
      return null;
    };
    if (typeof index === 'string') return fail([index]);
    const entries = decodeUserShares(index.entries, limits);
    if (!entries.ok) return fail(entries.problems);
    const started = Date.now();
    let cache = this.#buckets.get(from);
    if (cache?.count !== index.count)
      this.#buckets.set(from, (cache = { count: index.count, byIndex: new Map() }));
    const known = cache;
    const missing = index.ids
      .map((id, k) => ({ id, k }))
      .filter(({ id, k }) => known.byIndex.get(k)?.id !== id);
    const budget = { left: MAX_FULL_LIST_BYTES };
    const problems = [...entries.problems];
    const fetched = new Map<number, KnownBucket>();
    let failed: string | null = null;
    const queue = [...missing];
    const worker = async () => {
      for (let next = queue.shift(); next && failed === null; next = queue.shift()) {
        const item = await this.#fetch(bucketNode(next.k), from);
        const doc = readBucket(item, { index: next.k, count: index.count, id: next.id }, budget);
        if (typeof doc === 'string') {
          failed = doc;
          return;
        }
        const decoded = decodeUserShares(doc, limits);
        if (!decoded.ok) {
          failed = `bucket ${next.k}: ${decoded.problems.join('; ')}`;
          return;
        }
        problems.push(...decoded.problems.map((p) => `bucket ${next.k}: ${p}`));
        fetched.set(next.k, { id: next.id, entries: decoded.resources });
      }
    };
    await Promise.all(Array.from({ length: Math.min(BUCKET_FETCHES, missing.length) }, worker));
    if (failed !== null) throw new Error(failed);
    for (const [k, b] of fetched) known.byIndex.set(k, b);
    const merged = mergeBuckets(
      entries.resources,
      index.ids.map((_, k) => known.byIndex.get(k)?.entries ?? []),
      limits.maxSharesPerResource,
    );
    problems.push(...merged.problems);
    if (problems.length > 0) {
      this.#droppedEntries += problems.length;
      log.warn(
        {
          from,
          problems: problems.slice(0, 20),
          count: problems.length,
          droppedEntries: this.#droppedEntries,
        },
        'dropped invalid entries of a shares notification',
      );
    }
    // What the server holds for us: a later publish sends only the buckets that differ.
    if (from === session.bareJid) this.opts.onOwnBuckets(index.ids);
    this.#seen.set(from, { node: 'index', key: itemKey(payload) });
    log.debug(
      { from, buckets: index.count, fetched: missing.length, ms: Date.now() - started },
      'read a list from its buckets',
    );
    return merged.resources;
  }

  /**
   * The payload of the last item of PEP node `node` (null: the original shares node) of `from`
   * (our own when it is our account), paced.
   */
  async #fetch(node: string | null, from: string): Promise<Element | null> {
    const { session, pace } = this.opts;
    await pace.take(200 + (node?.length ?? 40) + from.length);
    return session.fetchItem(node ?? undefined, from === session.bareJid ? undefined : from);
  }
}
