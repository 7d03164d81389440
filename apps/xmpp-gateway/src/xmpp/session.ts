import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { Logger } from '@bitween/bus';
import { client, jid as parseJid, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { capsElement, capsNodeOf, discoInfoQuery, type DiscoInfo } from '../protocol/caps.js';
import { NS_SFS } from '../protocol/file-sharing.js';
import { NS_DISCO_INFO, NS_ROSTER } from '../protocol/namespaces.js';
import { checkNotification, type RejectedNotification } from '../protocol/notification.js';
import { itemsQuery, itemsResultPayload, publishPayload, type SharesEvent } from '../protocol/pubsub.js';
import { contactApprovedUs } from './presence-after-approval.js';
import { chooseMechanism, ScramSha1, ScramSha256 } from './scram.js';
import { connectBySrv } from './srv-service.js';

export interface SessionOptions {
  /** `xmpp://host:port`, `xmpps://host:port`, or a domain to resolve by DNS SRV. */
  service: string;
  domain: string;
  username: string;
  password: string;
  resource: string;
  disco: DiscoInfo;
  log: Logger;
  /** Reconnect backoff: first delay and cap (ms); each delay is jittered to 50-100 %. */
  backoff?: { initialMs: number; maxMs: number };
  /** Only check the login (`loginOnce`): no roster, no presence, so contacts see nothing. */
  probe?: boolean;
  /**
   * A session for bulk publishing (xmpp/bulk-session.ts): online without roster or presence, so
   * contacts never see it and the server pushes it no notifications; its failed logins are logged
   * at debug (its owner reports the fallback).
   */
  presenceless?: boolean;
}

export type RosterSubscription = 'none' | 'to' | 'from' | 'both';
export interface RosterItem {
  subscription: RosterSubscription;
  name: string | null;
  /** The roster groups the user put the contact in (absent: none). */
  groups?: string[];
}

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';
const SUBSCRIPTION_TYPES = new Set<string>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export interface SessionEvents {
  /** Logged in, roster loaded, presence with caps sent. Fires again after every reconnect. */
  online: [];
  offline: [];
  /** A PEP notification of the shares node from `from` (bare JID): our own account or a contact we follow. */
  notification: [from: string, event: SharesEvent];
  /** A shares event that is not such a notification (sent by a client, a stranger, a service…): dropped. */
  rejectedNotification: [rejected: RejectedNotification];
  /**
   * Availability of a resource of a contact or of our own account (never our own resource), with
   * the XEP-0115 caps node its available presence announces (which software it runs), if any.
   */
  presence: [bare: string, resource: string, available: boolean, capsNode: string | null];
  /** A subscription request, approval or cancellation from `bare`. */
  subscription: [bare: string, type: SubscriptionType];
  /** The roster changed (the initial roster, or a push from the server): the JIDs concerned. */
  roster: [jids: string[]];
  /** A message carrying an XEP-0447 `<file-sharing/>` (a share sent to us; unchecked): the sender's JID as given. */
  shareMessage: [from: string, stanza: Element];
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
  set(
    ns: string,
    name: string,
    handler: (ctx: IqContext) => Element | boolean | Promise<Element | boolean>,
  ): void;
}

/** Roster states in which we receive the contact's presence, hence their PEP notifications. */
const RECEIVES_PRESENCE = new Set(['to', 'both']);

/**
 * One XMPP connection (xmpp.js) with what bitween needs and xmpp.js lacks: disco#info,
 * XEP-0115 caps with `+notify`, the roster, PEP publish/fetch and PEP notifications.
 * Reconnects on its own; a failed first login is retried with backoff (never blocks start-up).
 */
export class XmppSession extends EventEmitter<SessionEvents> {
  readonly roster = new Map<string, RosterItem>();
  readonly bareJid: string;
  #client: Client;
  #iq: { caller: IqCaller; callee: IqCallee };
  #online = false;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  readonly #backoffLimits: { initialMs: number; maxMs: number };
  #backoff: number;

  constructor(private readonly opts: SessionOptions) {
    super();
    this.bareJid = `${opts.username}@${opts.domain}`.toLowerCase();
    this.#backoffLimits = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
    this.#backoff = this.#backoffLimits.initialMs;
    const plainAllowed = (secure: boolean) => secure || isLoopbackService(opts.service);
    const credentials = { username: opts.username, password: opts.password };
    this.#client = client({
      service: opts.service,
      domain: opts.domain,
      resource: opts.resource,
      // Our choice of SASL mechanism: SCRAM-SHA-256, SCRAM-SHA-1, and PLAIN only over TLS or
      // to a loopback server (xmpp.js would send PLAIN whenever the connection is TLS).
      credentials: async (
        authenticate: (c: typeof credentials, mechanism: string) => Promise<void>,
        mechanisms: string[],
        _fast: unknown,
        entity: { isSecure(): boolean },
      ) => {
        const secure = entity.isSecure();
        const mechanism = chooseMechanism(mechanisms, plainAllowed(secure));
        if (!mechanism)
          throw new Error(
            `no acceptable SASL mechanism (offered: ${mechanisms.join(', ') || 'none'}; PLAIN is used only over TLS or loopback)`,
          );
        opts.log.debug({ mechanism, tls: secure }, 'authenticating');
        await authenticate(credentials, mechanism);
      },
    } as unknown as Parameters<typeof client>[0]);
    const { iqCaller, iqCallee, reconnect, saslFactory } = this.#client as unknown as {
      iqCaller: IqCaller;
      iqCallee: IqCallee;
      reconnect: { stop(): void };
      saslFactory: { _mechs: { name: string; mech: unknown }[] };
    };
    // Replace xmpp.js's pure-JS SCRAM-SHA-1 (about 1 s per login) with ours, and add SCRAM-SHA-256.
    saslFactory._mechs = [
      { name: 'SCRAM-SHA-256', mech: ScramSha256 },
      { name: 'SCRAM-SHA-1', mech: ScramSha1 },
      ...saslFactory._mechs.filter((m) => m.name !== 'SCRAM-SHA-1'),
    ];
    this.#iq = { caller: iqCaller, callee: iqCallee };
    reconnect.stop();
    // A bare domain as service: SRV first (xmpp.js gives up when the domain has no address of its own).
    connectBySrv(this.#client);
    this.#wire();
  }

  get online(): boolean {
    return this.#online;
  }

  get resource(): string {
    return this.opts.resource;
  }

  /** Our account's domain (our server: where XEP-0215 asks). */
  get domain(): string {
    return this.opts.domain;
  }

  /** Whether notifications from `bare` are accepted: our own account, or a contact we follow. */
  isTrusted(bare: string): boolean {
    return bare === this.bareJid || RECEIVES_PRESENCE.has(this.roster.get(bare)?.subscription ?? '');
  }

  /** Send a directed presence (subscription handling: subscribed, subscribe, unsubscribed). */
  async sendPresence(to: string, type: SubscriptionType): Promise<void> {
    await this.#client.send(xml('presence', { to, type }));
  }

  start(): void {
    void this.#connect();
  }

  /**
   * Log in once and log out again (a session made with `probe: true`): resolves if the server
   * accepts the account, rejects with a reason a user can act on. No retry, no presence.
   */
  async loginOnce(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`no answer from ${this.opts.service} within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#client.start(), timeout]);
    } catch (err) {
      throw new Error(describeLoginError(err, this.opts.service), { cause: err });
    } finally {
      clearTimeout(timer);
      await this.stop();
    }
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

  /** Send a message stanza (e.g. a share to a friend, protocol/share-message.ts). */
  async sendMessage(stanza: Element): Promise<void> {
    await this.#client.send(stanza);
  }

  /** Publish `payload` as item `id` of our PEP node `node` (default: the shares node, `current`). */
  async publish(payload: Element, node?: string, id?: string): Promise<void> {
    await this.#iq.caller.request(xml('iq', { type: 'set' }, publishPayload(payload, node, id)), 30_000);
  }

  /** The current item of our own shares node (our sibling instances' last list), or null. */
  async fetchOwnItem(): Promise<Element | null> {
    return this.fetchItem();
  }

  /** The payload of the last item of PEP node `node` of `jid` (default: our own), or null. */
  async fetchItem(node?: string, jid?: string): Promise<Element | null> {
    try {
      const reply = await this.#iq.caller.request(
        xml('iq', jid ? { type: 'get', to: jid } : { type: 'get' }, itemsQuery(node)),
        30_000,
      );
      return itemsResultPayload(reply.getChild('pubsub'));
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      if (condition === 'item-not-found') return null;
      throw err;
    }
  }

  /**
   * Send an IQ `set` (or `get`) carrying `child` to `to`; resolves with the result's child element
   * (undefined for an empty result), rejects with xmpp.js's StanzaError (`condition`) on an error
   * reply, or a TimeoutError.
   */
  async iq(type: 'get' | 'set', to: string, child: Element, timeoutMs: number): Promise<Element | undefined> {
    const reply = await this.#iq.caller.request(xml('iq', { type, to }, child), timeoutMs);
    return reply.getChildElements()[0];
  }

  /**
   * Answer IQs of type `set` whose child is `name` in `ns`: the handler gets the sender's full JID
   * (IQs without one are refused) and returns the result's child, `true` for an empty result, or
   * an `<error/>` element.
   */
  handleIqSet(
    ns: string,
    name: string,
    handler: (from: string, element: Element) => Promise<Element | true>,
  ): void {
    this.#iq.callee.set(ns, name, (ctx: IqContext) => {
      const from = ctx.stanza.attrs.from as string | undefined;
      if (!from)
        return xml('error', { type: 'cancel' }, xml('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      return handler(from, ctx.element);
    });
  }

  /**
   * (Re)connect with exponential backoff and jitter: 1 s, doubling to 60 s (each delay drawn
   * from 50-100 % of that, so instances of an account do not reconnect in lock-step), back to
   * 1 s once online. We drive this
   * ourselves instead of xmpp.js's reconnect plugin, which retries every second for ever (also
   * with a wrong password) and refuses a new start() after a failed first one.
   */
  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#retry = null;
    try {
      if (this.#client.status !== 'offline') await this.#client.stop();
      await this.#client.start();
      this.#backoff = this.#backoffLimits.initialMs;
    } catch (err) {
      if (this.#stopped) return;
      this.opts.log[this.opts.presenceless ? 'debug' : 'error'](
        { err: (err as Error).message },
        'XMPP login failed',
      );
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry) return;
    const delay = Math.round(this.#backoff * (0.5 + Math.random() * 0.5));
    this.#backoff = Math.min(this.#backoff * 2, this.#backoffLimits.maxMs);
    this.opts.log[this.opts.presenceless ? 'debug' : 'info'](
      { retryInMs: delay },
      'XMPP reconnect scheduled',
    );
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
      if (this.opts.presenceless) {
        this.#online = true;
        log.debug({ jid: address.toString() }, 'XMPP online (no presence)');
        this.emit('online');
      } else if (!this.opts.probe) void this.#onOnline(address.toString());
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
      const before = new Map(
        ctx.element.getChildren('item').map((i) => {
          const bare = String(i.attrs.jid ?? '').toLowerCase();
          return [bare, this.roster.get(bare)?.subscription] as const;
        }),
      );
      const changed = this.#applyRoster(ctx.element);
      // A contact who just approved us gets our presence again (presence-after-approval.ts).
      for (const bare of changed)
        if (this.#online && contactApprovedUs(before.get(bare), this.roster.get(bare)?.subscription))
          void this.#client
            .send(xml('presence', { to: bare }, capsElement(this.opts.disco)))
            .catch((err: unknown) => log.debug({ err, to: bare }, 'presence after approval not sent'));
      this.emit('roster', changed);
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
      const before = [...this.roster.keys()];
      this.roster.clear();
      const changed = this.#applyRoster(query);
      this.emit('roster', [...new Set([...before, ...changed])]);
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

  /** Apply roster items (a result or a push); returns the JIDs concerned. */
  #applyRoster(query: Element): string[] {
    const changed: string[] = [];
    for (const item of query.getChildren('item')) {
      const j = item.attrs.jid as string | undefined;
      if (!j) continue;
      const bare = j.toLowerCase();
      const subscription = (item.attrs.subscription as string | undefined) ?? 'none';
      const name = item.attrs.name as string | undefined;
      // Roster groups (per-group visibility); at most 64 per contact, empty names left out.
      const groups = [...new Set(item.getChildren('group').map((g) => g.text()))]
        .filter((g) => g !== '')
        .slice(0, 64);
      changed.push(bare);
      if (subscription === 'remove') this.roster.delete(bare);
      else
        this.roster.set(bare, {
          subscription: (['to', 'from', 'both'].includes(subscription)
            ? subscription
            : 'none') as RosterSubscription,
          name: name ?? null,
          groups,
        });
    }
    return changed;
  }

  /** Lists are accepted only as PEP notifications from a contact's bare JID (protocol/notification.ts). */
  #onMessage(stanza: Element): void {
    if (stanza.getChild('file-sharing', NS_SFS)) {
      const from = stanza.attrs.from as string | undefined;
      if (from) this.emit('shareMessage', from, stanza);
      return;
    }
    const check = checkNotification(stanza, (bare) => this.isTrusted(bare));
    if (!check) return;
    if (check.ok) this.emit('notification', check.from, check.event);
    else this.emit('rejectedNotification', check);
  }

  #onPresence(stanza: Element): void {
    const from = stanza.attrs.from as string | undefined;
    if (!from) return;
    const type = stanza.attrs.type as string | undefined;
    const address = parseJid(from);
    const bare = address.bare().toString().toLowerCase();
    if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
      this.emit('subscription', bare, type as SubscriptionType);
      return;
    }
    const resource = address.resource;
    if (!resource) return;
    if (bare === this.bareJid && resource === this.opts.resource) return;
    if (type === undefined || type === 'unavailable' || type === 'error')
      this.emit(
        'presence',
        bare,
        resource,
        type === undefined,
        type === undefined ? capsNodeOf(stanza) : null,
      );
  }
}

/** `xmpp://127.0.0.1:5222`, `xmpps://[::1]:5223`, `xmpp://localhost`, or a bare domain. */
export function isLoopbackService(service: string): boolean {
  let host = service;
  try {
    if (service.includes('://')) host = new URL(service).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A login failure in words a user can act on (the onboarding form shows it). */
export function describeLoginError(err: unknown, service: string): string {
  const e = err as { name?: string; condition?: string; code?: string; message?: string };
  if (e.name === 'SASLError' && e.condition)
    return `the server refused the login (${e.condition}): check the JID and password`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${service}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot find the XMPP server for ${service} (DNS)`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach ${service} (${e.code})`;
    default:
      return e.message ?? String(err);
  }
}
