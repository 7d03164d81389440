import { EventEmitter } from 'node:events';
import type { Logger } from '@bitween/messages';
import { client, jid as parseJid, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { capsElement, discoInfoQuery, type DiscoInfo } from '../protocol/caps.js';
import { NS_DISCO_INFO, NS_ROSTER } from '../protocol/namespaces.js';
import {
  itemsQuery,
  itemsResultPayload,
  publishPayload,
  sharesEvent,
  type SharesEvent,
} from '../protocol/pubsub.js';

export interface SessionOptions {
  /** `xmpp://host:port`, `xmpps://host:port`, or a domain to resolve by DNS SRV. */
  service: string;
  domain: string;
  username: string;
  password: string;
  resource: string;
  disco: DiscoInfo;
  log: Logger;
}

export interface SessionEvents {
  /** Logged in, roster loaded, presence with caps sent. Fires again after every reconnect. */
  online: [];
  offline: [];
  /** A shares notification from `from` (bare JID), not yet checked against the roster. */
  notification: [from: string, event: SharesEvent];
  /** Availability of one of our own account's other resources. */
  sibling: [resource: string, available: boolean];
  /** The roster changed (a push from the server). */
  roster: [];
}

/** What xmpp.js's iqCallee hands a handler: the IQ and its single child. */
interface IqContext {
  stanza: Element;
  element: Element;
}

/**
 * xmpp.js's IQ helpers, typed here: @types/xmpp__client imports '@xmpp/iq/caller' without an
 * extension, which does not resolve under `module: nodenext`, so they arrive untyped.
 */
interface IqCaller {
  request(stanza: Element, timeout?: number): Promise<Element>;
  get(child: Element, to?: string, timeout?: number): Promise<Element>;
}
interface IqCallee {
  get(ns: string, name: string, handler: (ctx: IqContext) => Element | boolean): void;
  set(ns: string, name: string, handler: (ctx: IqContext) => Element | boolean): void;
}

/** Roster states in which we receive the contact's presence, hence their PEP notifications. */
const RECEIVES_PRESENCE = new Set(['to', 'both']);

/**
 * One XMPP connection (xmpp.js) with what bitween needs and xmpp.js lacks: disco#info,
 * XEP-0115 caps with `+notify`, the roster, PEP publish/fetch and PEP notifications.
 * Reconnects on its own; a failed first login is retried with backoff (never blocks start-up).
 */
export class XmppSession extends EventEmitter<SessionEvents> {
  readonly roster = new Map<string, string>();
  readonly bareJid: string;
  #client: Client;
  #iq: { caller: IqCaller; callee: IqCallee };
  #online = false;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  #backoff = 1000;

  constructor(private readonly opts: SessionOptions) {
    super();
    this.bareJid = `${opts.username}@${opts.domain}`.toLowerCase();
    this.#client = client({
      service: opts.service,
      domain: opts.domain,
      resource: opts.resource,
      username: opts.username,
      password: opts.password,
    });
    const { iqCaller, iqCallee, reconnect } = this.#client as unknown as {
      iqCaller: IqCaller;
      iqCallee: IqCallee;
      reconnect: { stop(): void };
    };
    this.#iq = { caller: iqCaller, callee: iqCallee };
    reconnect.stop();
    this.#wire();
  }

  get online(): boolean {
    return this.#online;
  }

  get resource(): string {
    return this.opts.resource;
  }

  /** Whether notifications from `bare` are accepted: our own account, or a contact we follow. */
  isTrusted(bare: string): boolean {
    return bare === this.bareJid || RECEIVES_PRESENCE.has(this.roster.get(bare) ?? '');
  }

  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    try {
      await this.#client.stop();
    } catch (err) {
      this.opts.log.debug({ err }, 'xmpp stop');
    }
  }

  async publish(userShares: Element): Promise<void> {
    await this.#iq.caller.request(xml('iq', { type: 'set' }, publishPayload(userShares)), 30_000);
  }

  /** The current item of our own shares node (our sibling instances' last list), or null. */
  async fetchOwnItem(): Promise<Element | null> {
    try {
      const reply = await this.#iq.caller.request(xml('iq', { type: 'get' }, itemsQuery()), 30_000);
      return itemsResultPayload(reply.getChild('pubsub'));
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      if (condition === 'item-not-found') return null;
      throw err;
    }
  }

  /**
   * (Re)connect with backoff: 1 s, doubling to 60 s, back to 1 s once online. We drive this
   * ourselves instead of xmpp.js's reconnect plugin, which retries every second for ever (also
   * with a wrong password) and refuses a new start() after a failed first one.
   */
  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#retry = null;
    try {
      if (this.#client.status !== 'offline') await this.#client.stop();
      await this.#client.start();
      this.#backoff = 1000;
    } catch (err) {
      if (this.#stopped) return;
      this.opts.log.error({ err: (err as Error).message, retryInMs: this.#backoff }, 'XMPP login failed');
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry) return;
    const delay = this.#backoff;
    this.#backoff = Math.min(delay * 2, 60_000);
    this.#retry = setTimeout(() => void this.#connect(), delay);
  }

  #wire(): void {
    const c = this.#client;
    const log = this.opts.log;

    c.on('error', (err: Error) => log.warn({ err: err.message }, 'XMPP error'));
    c.on('status', (status: string) => {
      if (status !== 'disconnect' || this.#stopped) return;
      if (this.#online) {
        log.warn({}, 'XMPP disconnected, reconnecting');
        this.#online = false;
        this.emit('offline');
        this.#scheduleReconnect();
      }
    });
    c.on('online', (address: { toString(): string }) => {
      void this.#onOnline(address.toString());
    });

    this.#iq.callee.get(NS_DISCO_INFO, 'query', (ctx: IqContext) => {
      const node = ctx.element.attrs.node as string | undefined;
      return discoInfoQuery(this.opts.disco, node);
    });

    this.#iq.callee.set(NS_ROSTER, 'query', (ctx: IqContext) => {
      const from = ctx.stanza.attrs.from as string | undefined;
      // Roster pushes come from our own account (or the server, without `from`) only.
      if (from && parseJid(from).bare().toString().toLowerCase() !== this.bareJid) {
        log.warn({ from }, 'ignored a roster push from a stranger');
        return xml('error', { type: 'cancel' }, xml('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      }
      this.#applyRoster(ctx.element);
      this.emit('roster');
      return true;
    });

    c.on('stanza', (stanza: Element) => {
      try {
        if (stanza.is('message')) this.#onMessage(stanza);
        else if (stanza.is('presence')) this.#onPresence(stanza);
      } catch (err) {
        log.warn(
          { err, stanza: stanza.toString().slice(0, 500) },
          'dropped a stanza that could not be handled',
        );
      }
    });
  }

  async #onOnline(address: string): Promise<void> {
    const log = this.opts.log;
    try {
      const query = await this.#iq.caller.get(xml('query', { xmlns: NS_ROSTER }), undefined, 30_000);
      this.roster.clear();
      this.#applyRoster(query);
      await this.#client.send(xml('presence', {}, capsElement(this.opts.disco)));
      this.#online = true;
      log.info({ jid: address, contacts: this.roster.size }, 'XMPP online');
      this.emit('online');
    } catch (err) {
      log.error({ err }, 'XMPP session set-up failed; reconnecting');
      await this.#client.disconnect().catch(() => undefined);
      this.#scheduleReconnect();
    }
  }

  #applyRoster(query: Element): void {
    for (const item of query.getChildren('item')) {
      const j = item.attrs.jid as string | undefined;
      if (!j) continue;
      const bare = j.toLowerCase();
      const subscription = (item.attrs.subscription as string | undefined) ?? 'none';
      if (subscription === 'remove') this.roster.delete(bare);
      else this.roster.set(bare, subscription);
    }
  }

  #onMessage(stanza: Element): void {
    const event = sharesEvent(stanza);
    if (!event) return;
    const from = stanza.attrs.from as string | undefined;
    if (!from) return;
    this.emit('notification', parseJid(from).bare().toString().toLowerCase(), event);
  }

  #onPresence(stanza: Element): void {
    const from = stanza.attrs.from as string | undefined;
    if (!from) return;
    const type = stanza.attrs.type as string | undefined;
    const address = parseJid(from);
    const bare = address.bare().toString().toLowerCase();
    if (type === 'subscribe') {
      // The original accepted every subscription request, exposing the list and addresses to
      // anyone. We never answer one automatically; the user decides in their XMPP client.
      this.opts.log.info({ from: bare }, 'subscription request left for the user to decide');
      return;
    }
    if (bare === this.bareJid && address.resource && address.resource !== this.opts.resource) {
      if (type === undefined || type === 'unavailable')
        this.emit('sibling', address.resource, type === undefined);
    }
  }
}
