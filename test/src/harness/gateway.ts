import type { Bus } from '@bitween/bus';
import { xmpp } from '@bitween/messages';
import type { Cleanup } from './cleanup.js';
import { startService, type LogLine, type ScriptProcess, type ServiceProcess } from './service.js';

/** Where a test's XMPP accounts live: a Prosody or an ejabberd the harness started. */
export interface XmppServer {
  /** Plain c2s (STARTTLS where the server requires it): `xmpp://127.0.0.1:PORT`. */
  service: string;
  jid(user: string): string;
}

export interface GatewayOptions {
  label: string;
  /** The NATS it serves: a server the harness started, or a node's. */
  nats: { url: string };
  server: XmppServer;
  user: string;
  /** Default `<user>-pw` (the tests' accounts). */
  password?: string;
  /** Default the server's `service`; e.g. its `directTlsService`. */
  service?: string;
  /** Default `bitween`. */
  resource?: string;
  /** Added last: e.g. BITWEEN_XMPP_TLS_CA_FILE, BITWEEN_XMPP_MAX_STANZA_BYTES. */
  env?: Record<string, string>;
}

/** The environment of a gateway signed in as `user` (debug logs). */
export function gatewayEnv(opts: Omit<GatewayOptions, 'label'>): Record<string, string> {
  return {
    BITWEEN_NATS_URL: opts.nats.url,
    BITWEEN_LOG_LEVEL: 'debug',
    BITWEEN_XMPP_JID: opts.server.jid(opts.user),
    BITWEEN_XMPP_PASSWORD: opts.password ?? `${opts.user}-pw`,
    BITWEEN_XMPP_SERVICE: opts.service ?? opts.server.service,
    ...(opts.resource ? { BITWEEN_XMPP_RESOURCE: opts.resource } : {}),
    ...opts.env,
  };
}

/**
 * An xmpp-gateway process alone (no engine, no api: the test plays them over its NATS); resolves
 * once it is ready, which is before it is online (`xmppOnline`).
 */
export function startGateway(cleanup: Cleanup, opts: GatewayOptions): Promise<ServiceProcess> {
  return startService(cleanup, { name: 'xmpp-gateway', label: opts.label, env: gatewayEnv(opts) });
}

/** Resolves once `gateway` has logged in to its XMPP server ("XMPP online"). */
export function xmppOnline(gateway: ScriptProcess, what = `${gateway.label} online`): Promise<LogLine> {
  return gateway.waitForLog((l) => l.msg === 'XMPP online', { what });
}

/** The gateway's count of refused rendezvous stanzas (`xmpp.status` droppedSignalling). */
export async function droppedSignalling(bus: Bus): Promise<number> {
  const r = await bus.request(xmpp.status, {});
  if (!r.ok) throw new Error(r.error.message);
  return r.value.droppedSignalling ?? 0;
}
