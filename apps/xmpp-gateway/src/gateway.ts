import { xmpp as contracts, type Bus, type EngineRegistry, type Logger } from '@bitween/messages';
import { coalesce } from '@bitween/runtime';
import { ContactIndex } from './domain/contact-index.js';
import { EngineView } from './domain/engine-view.js';
import { mergeOwnList } from './domain/own-list.js';
import {
  DEFAULT_LIMITS,
  decodeUserShares,
  encodeUserShares,
  type Limits,
  type ResourceEntry,
} from './protocol/shares-codec.js';
import type { SharesEvent } from './protocol/pubsub.js';
import type { XmppSession } from './xmpp/session.js';

export interface GatewayOptions {
  session: XmppSession;
  bus: Bus;
  registry: EngineRegistry;
  log: Logger;
  /** How often engine liveness is re-evaluated (a crashed engine's shares are withdrawn). */
  engineCheckMs: number;
  limits?: Limits;
}

/**
 * The behaviour between XMPP and NATS: publishes what the engines share (one XMPP resource
 * for all of them), keeps friends' lists, and hands the engines the endpoints for the hashes
 * they hold.
 */
export class Gateway {
  readonly index = new ContactIndex();
  readonly engines = new EngineView();
  #ownBase: ResourceEntry[] = [];
  readonly #departed = new Set<string>();
  #lastPublished: string | null = null;
  #liveFingerprint = '';
  #timer: NodeJS.Timeout | null = null;
  #stopWatch: (() => void) | null = null;
  readonly #publisher;

  constructor(private readonly opts: GatewayOptions) {
    this.#publisher = coalesce(
      () => this.#publish(),
      (err) => opts.log.warn({ err }, 'publishing the share list failed (will retry on the next change)'),
    );
  }

  async start(): Promise<void> {
    const { session } = this.opts;
    session.on('online', () => void this.#onOnline());
    session.on('notification', (from, event) => this.#onNotification(from, event));
    session.on('sibling', (resource, available) => this.#onSibling(resource, available));
    session.on('roster', () => this.#onRoster());
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
    this.#stopWatch?.();
    await this.#publisher.idle();
    const { session, log } = this.opts;
    if (session.online) {
      // Withdraw our resource; the last instance of the account leaves an empty <user_shares/>.
      const rest = mergeOwnList({
        base: this.#ownBase,
        own: null,
        ownResource: session.resource,
        departed: this.#departed,
      });
      try {
        await session.publish(encodeUserShares(rest));
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
    return { jid: session.bareJid, online: session.online, contacts };
  }

  // ---- engines ---------------------------------------------------------------------------

  /** Which engines are alive and what they hold: when it changes, publish again. */
  #fingerprint(): string {
    return this.engines
      .live(Date.now())
      .map(
        (e) =>
          `${e.state.engineId}:${e.state.torrents.map((t) => `${t.hash}${t.name === null ? '?' : ''}`).join(',')}`,
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
    else this.#publisher.trigger(); // cheap: publishes only if the list differs from the last
  }

  #enginesChanged(): void {
    this.#liveFingerprint = this.#fingerprint();
    this.#publisher.trigger();
    this.#publishPeers();
  }

  /** Every hash our engines hold, with the endpoints friends offer it at (never our own). */
  #publishPeers(): void {
    const now = Date.now();
    const found = this.index.endpointsFor(this.engines.hashes(now), this.engines.endpoints(now));
    const peers = [...found]
      .filter(([, endpoints]) => endpoints.length > 0)
      .map(([hash, endpoints]) => ({ hash, endpoints }));
    // Published on every change (also unchanged): an engine that restarted needs them again.
    if (peers.length > 0) this.opts.bus.publish(contracts.peers, { peers });
  }

  // ---- XMPP -----------------------------------------------------------------------------

  async #onOnline(): Promise<void> {
    const { session, log } = this.opts;
    try {
      const item = await session.fetchOwnItem();
      if (item) {
        const decoded = decodeUserShares(item, this.opts.limits ?? DEFAULT_LIMITS);
        if (decoded.ok) this.#ownBase = decoded.resources;
        else
          log.warn({ problems: decoded.problems }, 'our own published item is unreadable; starting afresh');
      }
    } catch (err) {
      log.warn({ err }, 'could not fetch our own published item');
    }
    this.#lastPublished = null; // after a reconnect, always publish once
    this.#publisher.trigger();
  }

  #onNotification(from: string, event: SharesEvent): void {
    const { session, log, bus } = this.opts;
    if (!session.isTrusted(from)) {
      log.warn({ from }, 'dropped a shares notification from someone who is not a contact');
      return;
    }
    let resources: ResourceEntry[] = [];
    if (event.kind === 'item' && event.payload) {
      const decoded = decodeUserShares(event.payload, this.opts.limits ?? DEFAULT_LIMITS);
      if (!decoded.ok) {
        log.warn({ from, problems: decoded.problems }, 'dropped a malformed shares notification');
        return;
      }
      if (decoded.problems.length > 0) {
        log.warn(
          { from, problems: decoded.problems.slice(0, 20), count: decoded.problems.length },
          'dropped invalid entries of a shares notification',
        );
      }
      resources = decoded.resources;
    }
    if (from === session.bareJid) {
      // Our own node: how we learn about our sibling instances.
      this.#ownBase = resources;
      resources = resources.filter((r) => r.resource !== session.resource);
      this.#publisher.trigger();
    }
    // Presence tracking per resource comes with the gateway issue; a resource that just published is online.
    this.index.replace(
      from,
      resources.map((r) => ({ ...r, online: true })),
      Date.now(),
    );
    const shares = resources.reduce((n, r) => n + r.shares.length, 0);
    log.info({ from, resources: resources.length, shares }, 'received a share list');
    const contact = this.index.get(from);
    if (contact) bus.publish(contracts.contactShares, contact);
    this.#publishPeers();
  }

  #onSibling(resource: string, available: boolean): void {
    if (available) {
      this.#departed.delete(resource);
      return;
    }
    this.#departed.add(resource);
    const own = this.index.get(this.opts.session.bareJid);
    if (own) {
      this.index.replace(
        own.jid,
        own.resources.filter((r) => r.resource !== resource),
        own.receivedAt,
      );
    }
    this.opts.log.info({ resource }, 'a sibling instance went offline: its entry is no longer republished');
    this.#publisher.trigger();
  }

  #onRoster(): void {
    const { session, log } = this.opts;
    const dropped = this.index.retain((jid) => session.isTrusted(jid));
    if (dropped.length > 0) {
      log.info({ dropped }, 'forgot the lists of contacts no longer followed');
      this.#publishPeers();
    }
  }

  async #publish(): Promise<void> {
    const { session, log } = this.opts;
    if (!session.online) return;
    const now = Date.now();
    const own: ResourceEntry = {
      resource: session.resource,
      shares: this.engines.shares(now),
      endpoints: this.engines.endpoints(now),
    };
    const list = mergeOwnList({
      base: this.#ownBase,
      own,
      ownResource: session.resource,
      departed: this.#departed,
    });
    const element = encodeUserShares(list);
    const text = element.toString();
    if (text === this.#lastPublished) return;
    await session.publish(element);
    this.#lastPublished = text;
    log.info(
      {
        shares: own.shares.length,
        endpoints: own.endpoints.length,
        resources: list.length,
        bytes: text.length,
      },
      'published our share list',
    );
  }
}
