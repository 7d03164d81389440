import type { IceServer } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import {
  credentialsQuery,
  decodeServices,
  servicesQuery,
  toIceServers,
  type ExternalService,
} from '../protocol/extdisco-codec.js';
import type { XmppSession } from '../xmpp/session.js';

export interface IceServersReply {
  iceServers: IceServer[];
  source: 'xep-0215' | 'config' | 'none';
  expiresAt: number | null;
}

export interface IceServerSourceOptions {
  /** From BITWEEN_ICE_SERVERS (with the TURN credentials): used when our XMPP server offers none. */
  configured: IceServer[];
  log: Logger;
  /** The first STUN server known changed (`host:port`, or null): public-address discovery uses it. */
  onStunServer?: (server: string | null) => void;
  /** How long the server may take to answer (default 15 s). */
  timeoutMs?: number;
}

/** Refresh this long before credentials expire, at the latest (and at least 30 s from now). */
const REFRESH_MARGIN_MS = 10 * 60_000;
const MIN_REFRESH_MS = 30_000;

/**
 * STUN/TURN servers for WebRTC (`xmpp.ice-servers`): asked from our own XMPP server with XEP-0215
 * after every login and again before TURN credentials expire; when it offers none (or does not
 * implement XEP-0215), the configured ones.
 */
export class IceServerSource {
  #session: XmppSession | null = null;
  #fromServer: { iceServers: IceServer[]; expiresAt: number | null } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stun: string | null | undefined = undefined;
  readonly #onOnline = () => void this.refresh();
  readonly #onOffline = () => this.#clearTimer();

  constructor(private readonly opts: IceServerSourceOptions) {}

  current(): IceServersReply {
    if (this.#fromServer && this.#fromServer.iceServers.length > 0)
      return {
        iceServers: this.#fromServer.iceServers,
        source: 'xep-0215',
        expiresAt: this.#fromServer.expiresAt,
      };
    if (this.opts.configured.length > 0)
      return { iceServers: this.opts.configured, source: 'config', expiresAt: null };
    return { iceServers: [], source: 'none', expiresAt: null };
  }

  /** Follow this account's session (null: none); what the previous server offered is dropped. */
  attach(session: XmppSession | null): void {
    if (this.#session) {
      this.#session.off('online', this.#onOnline);
      this.#session.off('offline', this.#onOffline);
    }
    this.#clearTimer();
    this.#session = session;
    this.#fromServer = null;
    this.#changed();
    if (!session) return;
    session.on('online', this.#onOnline);
    session.on('offline', this.#onOffline);
    if (session.online) void this.refresh();
  }

  stop(): void {
    this.attach(null);
  }

  /** Ask our server now (never throws: a failure keeps what we had and is logged). */
  async refresh(): Promise<void> {
    const session = this.#session;
    const { log } = this.opts;
    if (!session?.online) return;
    this.#clearTimer();
    const timeout = this.opts.timeoutMs ?? 15_000;
    try {
      let services = decodeServices(await session.iq('get', session.domain, servicesQuery(), timeout));
      // Restricted services listed without credentials: ask for them (XEP-0215 §3.3).
      const missing = services.filter((s) => s.type !== 'stun' && s.restricted && s.password === null);
      if (missing.length > 0) {
        const credentials = decodeServices(
          await session.iq('get', session.domain, credentialsQuery(missing), timeout),
        );
        services = services.map((s) => withCredentials(s, credentials));
      }
      if (session !== this.#session) return;
      this.#fromServer = toIceServers(services);
      log.info(
        {
          services: services.map(
            (s) => `${s.type}:${s.host}:${s.port ?? ''}${s.transport ? `/${s.transport}` : ''}`,
          ),
          expiresAt: this.#fromServer.expiresAt,
        },
        services.length > 0
          ? 'our XMPP server offers STUN/TURN servers (XEP-0215)'
          : 'our XMPP server offers no STUN/TURN servers',
      );
      this.#changed();
      this.#schedule();
    } catch (err) {
      const condition = (err as { condition?: string }).condition;
      log.info(
        {
          condition: condition ?? null,
          err: condition ? undefined : (err as Error).message,
          configured: this.opts.configured.length,
        },
        'our XMPP server does not tell its STUN/TURN servers (XEP-0215); using the configured ones',
      );
      if (session === this.#session) {
        this.#fromServer = null;
        this.#changed();
      }
    }
  }

  #schedule(): void {
    const expiresAt = this.#fromServer?.expiresAt;
    if (expiresAt === null || expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    const delay = Math.max(MIN_REFRESH_MS, Math.min(left / 2, left - REFRESH_MARGIN_MS));
    this.#timer = setTimeout(() => void this.refresh(), delay);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #changed(): void {
    const stun = firstStun(this.current().iceServers);
    if (stun === this.#stun) return;
    this.#stun = stun;
    this.opts.onStunServer?.(stun);
  }
}

function withCredentials(s: ExternalService, credentials: ExternalService[]): ExternalService {
  const c = credentials.find(
    (x) => x.type === s.type && x.host === s.host && (x.port === s.port || x.port === null),
  );
  return c ? { ...s, username: c.username, password: c.password, expires: c.expires ?? s.expires } : s;
}

/** `host:port` of the first `stun:` URL (port 3478 when none is given), or null. */
export function firstStun(servers: readonly IceServer[]): string | null {
  for (const s of servers)
    for (const url of s.urls) {
      const m = /^stun:(\[[0-9a-fA-F:]+\]|[^:?]+)(?::([0-9]{1,5}))?$/.exec(url);
      if (m) return `${m[1]}:${m[2] ?? '3478'}`;
    }
  return null;
}
