import type { Logger } from '@bitween/bus';
import type { Share, Endpoint } from '@bitween/messages';
import { coalesce } from '@bitween/runtime';
import xml, { type Element } from '@xmpp/xml';
import { ENVELOPE_BYTES } from '../protocol/buckets.js';
import {
  NS_PUBSUB_FILE_SHARING,
  configureMaxItems,
  encodeFileSharing,
  publishFileItem,
  retractFileItem,
} from '../protocol/file-sharing.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import { FOREGROUND_RESERVE_BYTES, type UploadPace } from '../xmpp/upload-pace.js';

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/**
 * `pubsub#max_items` values tried in turn when configuring the node (XEP-0060 §8.2); the first
 * number the server accepts is the node's cap, and we publish at most that many items. Stock
 * servers refuse a number above their limit: Prosody 0.12 `pep_max_items` (256, mod_pep.lua),
 * ejabberd 23.01 `max_items_node` (1000, not set in Debian's ejabberd.yml). `max` comes last:
 * accepted (a server whose limit is below 256), the cap stays unknown and every share is published.
 */
export const MAX_ITEMS_TRIED = ['10000', '1000', '256', 'max'] as const;

export interface FileSharingPublisherOptions {
  session: XmppSession;
  log: Logger;
  pace: UploadPace;
  /** Our own entries as they are now (one per live engine, with our addresses). */
  ownEntries(): ResourceEntry[];
  /**
   * Every hash our sibling instances list (other resources of the account): their items are never
   * retracted. null while not known yet (after login): nothing is retracted then.
   */
  siblingHashes(): ReadonlySet<string> | null;
}

/**
 * Publishes each of our shares as one item of the XEP-0498 node (protocol/file-sharing.ts), id =
 * info-hash: an added share is one publish, a removed one one retract, a share whose payload
 * changed (name, our addresses) one publish. One stanza at a time, each waiting for its result,
 * as background traffic of the upload pace (only while it keeps FOREGROUND_RESERVE_BYTES of burst),
 * so the original node (the source of truth for bitween peers) and other traffic are not held up. After login it lists the node's item ids (disco#items):
 * items for shares no instance of the account holds any more are retracted, missing ones
 * published, and the rest refreshed last (their magnets may name old addresses).
 * Items stay on the server while the gateway is stopped (retracting thousands on shutdown is
 * not possible in time).
 */
export class FileSharingPublisher {
  /** Item id → the payload the server holds (null: an item of unknown content, from before our login). */
  #served = new Map<string, string | null>();
  #known = false;
  /** The node's max_items was set in this session (once the node exists: it held items, or after our first publish). */
  #configured = false;
  /** How many items the node keeps (the max_items it accepted); null: not known, publish everything. */
  #cap: number | null = null;
  /** Each share's age: the #desired() call that first saw it (larger = newer). */
  readonly #firstSeen = new Map<string, number>();
  #age = 0;
  /**
   * Encoded payloads by item id, reused while the share's name and size and the entry's endpoints
   * are unchanged: encoding 10,000 items takes ~1 s of the event loop, which a change of the
   * original node's list would wait for.
   */
  readonly #encoded = new Map<string, { key: string; text: string }>();
  #generation = 0;
  #retry: NodeJS.Timeout | null = null;
  readonly #publisher;

  constructor(private readonly opts: FileSharingPublisherOptions) {
    this.#publisher = coalesce(
      () => this.#publish(),
      (err) =>
        opts.log.warn({ err }, 'publishing the XEP-0498 share items failed (will retry on the next change)'),
    );
  }

  trigger(): void {
    this.#publisher.trigger();
  }

  /** We logged in: learn which items the node holds, then publish what differs. */
  async onOnline(): Promise<void> {
    const { session, log } = this.opts;
    const generation = ++this.#generation;
    this.#known = false;
    let ids: string[];
    try {
      ids = await this.#serverItemIds();
    } catch (err) {
      log.warn({ err }, 'could not list our XEP-0498 items; publishing every share');
      ids = [];
    }
    if (generation !== this.#generation || !session.online) return;
    this.#served = new Map(ids.map((id) => [id, null]));
    this.#known = true;
    this.#configured = false;
    this.#cap = null;
    this.#publisher.trigger();
  }

  onOffline(): void {
    this.#known = false;
    this.#generation += 1;
  }

  /** Resolves when no publish is running or pending (tests, shutdown). */
  idle(): Promise<void> {
    return this.#publisher.idle();
  }

  async #serverItemIds(): Promise<string[]> {
    const { session } = this.opts;
    try {
      const query = await session.iq(
        'get',
        session.bareJid,
        xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_PUBSUB_FILE_SHARING }),
        30_000,
      );
      return (
        (query?.getChildren('item') ?? [])
          // (XEP-0060 §5.5: each item's id is the `name` of a disco item.)
          .map((i): unknown => i.attrs.name)
          .filter((id): id is string => typeof id === 'string' && /^[0-9a-f]{40}$/.test(id))
      );
    } catch (err) {
      if ((err as { condition?: string }).condition === 'item-not-found') return [];
      throw err;
    }
  }

  /**
   * What we want on the node: one payload per hash our engines hold (the first engine's, with its
   * addresses), best first. With more shares than the node keeps, only the best up to the cap, so
   * the node holds exactly the set we chose (not whatever the server's eviction left): the newest
   * (by when this gateway first saw them: the engines' lists carry no date), then those the node
   * already holds (no churn after a login), then by info-hash.
   */
  #desired(): Map<string, Wanted> {
    const all = new Map<string, { share: Share; endpoints: readonly Endpoint[]; key: string }>();
    for (const { shares, endpoints } of this.opts.ownEntries()) {
      const where = endpoints.map((e) => `${e.address}|${e.port}`).join(',');
      for (const share of shares) {
        const id = share.hash.toLowerCase();
        const key = `${share.size}\0${share.sha256 ?? ''}\0${where}\0${share.name}`;
        if (!all.has(id)) all.set(id, { share, endpoints, key });
      }
    }
    this.#age += 1;
    for (const id of all.keys()) if (!this.#firstSeen.has(id)) this.#firstSeen.set(id, this.#age);
    for (const id of this.#firstSeen.keys()) if (!all.has(id)) this.#firstSeen.delete(id);
    for (const id of this.#encoded.keys()) if (!all.has(id)) this.#encoded.delete(id);
    const ranked = [...all].sort(([a], [b]) => {
      const newer = this.#firstSeen.get(b)! - this.#firstSeen.get(a)!;
      if (newer !== 0) return newer;
      const held = Number(this.#served.has(b)) - Number(this.#served.has(a));
      return held !== 0 ? held : a < b ? -1 : a > b ? 1 : 0;
    });
    const kept = this.#cap !== null ? ranked.slice(0, this.#cap) : ranked;
    return new Map(
      kept.map(([id, { share, endpoints, key }]) => {
        let encoded = this.#encoded.get(id);
        if (encoded?.key !== key) {
          encoded = { key, text: encodeFileSharing({ share, endpoints }).toString() };
          this.#encoded.set(id, encoded);
        }
        return [id, { share, endpoints, text: encoded.text }];
      }),
    );
  }

  /** Our siblings are not known yet: look again in a while (retractions wait for them). */
  #retryLater(): void {
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#publisher.trigger();
    }, 2_000);
    this.#retry.unref();
  }

  /** Keep as many items as the server allows (its default is one on ejabberd); learn that cap. */
  async #configure(generation: number): Promise<void> {
    const { session, log } = this.opts;
    this.#configured = true;
    const refusals: string[] = [];
    for (const maxItems of MAX_ITEMS_TRIED) {
      if (generation !== this.#generation || !session.online) throw new Offline();
      try {
        await session.iq('set', session.bareJid, configureMaxItems(maxItems), 30_000);
        this.#cap = maxItems === 'max' ? null : Number(maxItems);
        log.info({ maxItems, refused: refusals }, 'configured our XEP-0498 node');
        return;
      } catch (err) {
        const condition = (err as { condition?: unknown }).condition;
        if (typeof condition !== 'string') throw err;
        refusals.push(`${maxItems}: ${condition}`);
      }
    }
    log.warn(
      { refused: refusals },
      'our server refused every max_items for the XEP-0498 node: it keeps its default',
    );
  }

  async #publish(): Promise<void> {
    const { session, log, pace } = this.opts;
    if (!session.online || !this.#known) return;
    const generation = this.#generation;
    if (!this.#configured && this.#served.size > 0) {
      // The node exists: learn its cap before choosing what to publish.
      try {
        await this.#configure(generation);
      } catch (err) {
        if (err instanceof Offline) return;
        throw err;
      }
    }
    const want = this.#desired();
    const keep = this.opts.siblingHashes();
    const publishNew: string[] = [];
    const publishChanged: string[] = [];
    const refresh: string[] = [];
    const retract: string[] = [];
    for (const [id, { text }] of want) {
      const served = this.#served.get(id);
      if (served === undefined) publishNew.push(id);
      else if (served === null) refresh.push(id);
      else if (served !== text) publishChanged.push(id);
    }
    if (keep) {
      for (const id of this.#served.keys()) if (!want.has(id) && !keep.has(id)) retract.push(id);
    } else this.#retryLater();
    const todo = publishNew.length + publishChanged.length + retract.length + refresh.length;
    if (todo === 0) return;
    const started = Date.now();
    let bytes = 0;
    let stanzas = 0;
    /** The cap was learned after our first publish: choose again with it. */
    let chooseAgain = false;
    const done = { published: 0, refreshed: 0, retracted: 0 };
    const refreshing = new Set(refresh);
    const send = async (child: Element) => {
      const size = Buffer.byteLength(child.toString()) + ENVELOPE_BYTES / 4;
      await pace.takeSpare(size, FOREGROUND_RESERVE_BYTES);
      if (generation !== this.#generation || !session.online) throw new Offline();
      await session.iq('set', session.bareJid, child, 30_000);
      bytes += size;
      stanzas += 1;
    };
    try {
      for (const id of retract) {
        await send(retractFileItem(id));
        this.#served.delete(id);
        done.retracted += 1;
      }
      // Best first: the first item published (before the node's cap is known) is one we keep.
      for (const id of [...publishNew, ...publishChanged, ...refresh]) {
        // (The list may change meanwhile: the next run sends the difference.)
        const current = want.get(id);
        if (current === undefined) continue;
        await send(publishFileItem(current));
        this.#served.set(id, current.text);
        done[refreshing.has(id) ? 'refreshed' : 'published'] += 1;
        if (!this.#configured) {
          await this.#configure(generation);
          if (this.#cap !== null && want.size > this.#cap) {
            chooseAgain = true;
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof Offline) return;
      throw err;
    }
    log.info(
      {
        ...done,
        items: want.size,
        cap: this.#cap,
        ...(chooseAgain ? { chooseAgain } : {}),
        bytes,
        stanzas,
        ms: Date.now() - started,
      },
      'published our XEP-0498 share items',
    );
    // Something changed while we were sending: go again (only the difference is sent).
    this.#publisher.trigger();
  }
}

class Offline extends Error {}

interface Wanted {
  share: Share;
  endpoints: readonly Endpoint[];
  /** The encoded payload: compared with what the server holds to see whether an item changed. */
  text: string;
}
