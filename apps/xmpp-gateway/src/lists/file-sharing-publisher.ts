import type { Logger } from '@bitween/bus';
import type { Share, Endpoint } from '@bitween/messages';
import { coalesce } from '@bitween/runtime';
import xml, { type Element } from '@xmpp/xml';
import { ENVELOPE_BYTES } from '../protocol/buckets.js';
import {
  NODE_MAX_ITEMS,
  NS_PUBSUB_FILE_SHARING,
  configureMaxItems,
  encodeFileSharing,
  publishFileItem,
  retractFileItem,
} from '../protocol/file-sharing.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import type { UploadPace } from '../xmpp/upload-pace.js';

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

/**
 * The standard items are background traffic: each goes out only when the upload pace keeps this
 * much burst for the original node (a one-share change there is ~7 kB: bucket, index, `current`).
 */
export const FOREGROUND_RESERVE_BYTES = 8_000;

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
  /** The node's max_items was set in this session (after our first publish: the node exists then). */
  #configured = false;
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

  /** What we want on the node: one payload per hash our engines hold (the first engine's, with its addresses). */
  #desired(): Map<string, Wanted> {
    const want = new Map<string, Wanted>();
    for (const { shares, endpoints } of this.opts.ownEntries()) {
      for (const share of shares) {
        const id = share.hash.toLowerCase();
        if (!want.has(id))
          want.set(id, { share, endpoints, text: encodeFileSharing({ share, endpoints }).toString() });
      }
    }
    return want;
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

  /** Keep as many items as the server allows (its default is one on ejabberd). */
  async #configure(generation: number): Promise<void> {
    const { session, log } = this.opts;
    this.#configured = true;
    const refusals: string[] = [];
    for (const maxItems of NODE_MAX_ITEMS) {
      if (generation !== this.#generation || !session.online) throw new Offline();
      try {
        await session.iq('set', session.bareJid, configureMaxItems(maxItems), 30_000);
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
      }
      for (const id of [...publishNew, ...publishChanged, ...refresh]) {
        // (The list may change meanwhile: the next run sends the difference.)
        const current = want.get(id);
        if (current === undefined) continue;
        await send(publishFileItem(current));
        this.#served.set(id, current.text);
        if (!this.#configured) await this.#configure(generation);
      }
    } catch (err) {
      if (err instanceof Offline) return;
      throw err;
    }
    log.info(
      {
        published: publishNew.length + publishChanged.length,
        refreshed: refresh.length,
        retracted: retract.length,
        items: want.size,
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
