import { isIP } from 'node:net';
import type { IceServer } from '@bitween/messages';
import xml, { type Element } from '@xmpp/xml';
import { NS_EXTDISCO } from './namespaces.js';

/**
 * XEP-0215 External Service Discovery (v0.7, `urn:xmpp:extdisco:2`), the STUN/TURN part, pure
 * XML: `<services/>` asks our server for its services; `<credentials/>` asks for credentials of
 * restricted ones whose listing came without them (Prosody's mod_turn_external includes them,
 * time-limited; other servers may not).
 */

export interface ExternalService {
  type: 'stun' | 'turn' | 'turns';
  host: string;
  port: number | null;
  transport: 'udp' | 'tcp' | null;
  username: string | null;
  password: string | null;
  restricted: boolean;
  /** Epoch ms, or null. */
  expires: number | null;
}

const TYPES = new Set(['stun', 'turn', 'turns']);
const HOST = /^[A-Za-z0-9.-]{1,253}$/;
const MAX_SERVICES = 16;

export function servicesQuery(): Element {
  return xml('services', { xmlns: NS_EXTDISCO });
}

export function credentialsQuery(services: readonly ExternalService[]): Element {
  return xml(
    'credentials',
    { xmlns: NS_EXTDISCO },
    ...services.map((s) =>
      xml('service', { type: s.type, host: s.host, ...(s.port === null ? {} : { port: String(s.port) }) }),
    ),
  );
}

/** The STUN/TURN services of a `<services/>` or `<credentials/>` result; others and bad ones skipped. */
export function decodeServices(el: Element | undefined): ExternalService[] {
  if (!el || (!el.is('services', NS_EXTDISCO) && !el.is('credentials', NS_EXTDISCO))) return [];
  const out: ExternalService[] = [];
  for (const s of el.getChildren('service').slice(0, 64)) {
    const a = s.attrs as Record<string, unknown>;
    const str = (k: string) => (typeof a[k] === 'string' ? a[k] : null);
    const type = str('type');
    const host = str('host');
    if (!type || !TYPES.has(type) || !host || !(HOST.test(host) || isIP(host) !== 0)) continue;
    const portText = str('port');
    const port = portText !== null && /^[0-9]{1,5}$/.test(portText) ? Number(portText) : null;
    if (port !== null && (port < 1 || port > 65_535)) continue;
    const transport = str('transport');
    const expiresText = str('expires');
    const expires = expiresText === null ? NaN : Date.parse(expiresText);
    const restricted = str('restricted');
    const username = str('username');
    const password = str('password');
    out.push({
      type: type as ExternalService['type'],
      host,
      port,
      transport: transport === 'udp' || transport === 'tcp' ? transport : null,
      username: username !== null && username.length <= 512 ? username : null,
      password: password !== null && password.length <= 512 ? password : null,
      restricted: restricted === '1' || restricted === 'true',
      expires: Number.isFinite(expires) ? expires : null,
    });
    if (out.length === MAX_SERVICES) break;
  }
  return out;
}

/** `stun:host:port`, `turn:host:port?transport=udp` (RFC 7064/7065), IPv6 hosts in brackets. */
export function serviceUrl(s: ExternalService): string {
  const host = isIP(s.host) === 6 ? `[${s.host}]` : s.host;
  const port = s.port === null ? '' : `:${s.port}`;
  const transport = s.type !== 'stun' && s.transport ? `?transport=${s.transport}` : '';
  return `${s.type}:${host}${port}${transport}`;
}

/**
 * RTCIceServer entries: one per service (TURN with its credentials); TURN without credentials
 * is useless to WebRTC and left out. `expiresAt`: the earliest expiry, or null.
 */
export function toIceServers(services: readonly ExternalService[]): {
  iceServers: IceServer[];
  expiresAt: number | null;
} {
  const iceServers: IceServer[] = [];
  let expiresAt: number | null = null;
  for (const s of services) {
    if (s.type === 'stun') iceServers.push({ urls: [serviceUrl(s)] });
    else if (s.username !== null && s.password !== null) {
      iceServers.push({ urls: [serviceUrl(s)], username: s.username, credential: s.password });
      if (s.expires !== null) expiresAt = Math.min(expiresAt ?? s.expires, s.expires);
    }
  }
  return { iceServers, expiresAt };
}
