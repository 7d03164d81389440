import { BlockList, isIPv4, isIPv6, type Socket } from 'node:net';
import type { ContactShares, Endpoint, Logger } from '@bitween/messages';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`; others unchanged, lower case. */
export function normaliseIp(ip: string): string {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}

/**
 * Friend-to-friend privacy: which remote addresses may open BitTorrent connections to us.
 * Allowed are the addresses contacts advertise — for a hash we hold (`xmpp.peers`) or for
 * anything in their lists (`xmpp.contact-shares`, `xmpp.shares`) — and the configured extra
 * addresses/blocks. Matching is by IP only: the source port of an incoming connection is
 * ephemeral. (The hash is not known when a connection is accepted; every contact may fetch any
 * of our shares, and a friend still fetching metadata does not advertise that hash yet.)
 */
export class PeerFilter {
  readonly #byHash = new Map<string, Set<string>>();
  readonly #byContact = new Map<string, Set<string>>();
  readonly #extra = new BlockList();

  constructor(
    readonly enabled: boolean,
    extra: string[] = [],
  ) {
    for (const entry of extra) {
      const [address = '', bits] = entry.split('/');
      const family = isIPv6(address) ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.#extra.addAddress(normaliseIp(address), family);
      else this.#extra.addSubnet(normaliseIp(address), Number(bits), family);
    }
  }

  /** The endpoints friends offer `hash` at (replaces what was known for it). */
  setHashPeers(hash: string, endpoints: Endpoint[]): void {
    this.#byHash.set(hash, new Set(endpoints.map((e) => normaliseIp(e.address))));
  }

  /** One contact's whole list arrived (replaces what was known for that JID). */
  setContact(contact: ContactShares): void {
    const ips = new Set<string>();
    for (const r of contact.resources) for (const e of r.endpoints) ips.add(normaliseIp(e.address));
    this.#byContact.set(contact.jid, ips);
  }

  /** Every contact's list, as the gateway holds it now (replaces all per-contact knowledge). */
  replaceContacts(contacts: ContactShares[]): void {
    this.#byContact.clear();
    for (const c of contacts) this.setContact(c);
  }

  allows(remoteAddress: string | undefined): boolean {
    if (!this.enabled) return true;
    if (!remoteAddress) return false;
    const ip = normaliseIp(remoteAddress);
    if (isIPv4(ip) ? this.#extra.check(ip, 'ipv4') : isIPv6(ip) && this.#extra.check(ip, 'ipv6')) return true;
    for (const ips of this.#byContact.values()) if (ips.has(ip)) return true;
    for (const ips of this.#byHash.values()) if (ips.has(ip)) return true;
    return false;
  }
}

interface ConnPool {
  _onConnection(conn: Socket, type: string): void;
}

/**
 * Put the filter in front of webtorrent's incoming connection handling: a connection from an
 * address the filter refuses is closed as soon as it is accepted, before a byte is read or
 * written (no handshake, bitfield, metadata or piece). webtorrent 3 has no public hook this
 * early; its connection pool routes every accepted TCP/uTP socket through `_onConnection`,
 * which we wrap on this client instance (nothing in node_modules is changed). Fails loudly if a
 * webtorrent upgrade removes it.
 */
export function guardIncoming(client: object, filter: PeerFilter, log: Logger): { dropped: () => number } {
  const pool = (client as { _connPool?: Partial<ConnPool> })._connPool;
  if (!pool || typeof pool._onConnection !== 'function') {
    throw new Error(
      'webtorrent has no connection pool to filter (was it upgraded?): cannot enforce the peer filter',
    );
  }
  const original = pool._onConnection.bind(pool);
  let dropped = 0;
  const allowed = (conn: Socket) => {
    try {
      return filter.allows(conn.remoteAddress);
    } catch (err) {
      log.warn({ err, remote: conn.remoteAddress }, 'peer filter failed on an address; dropping it');
      return false;
    }
  };
  pool._onConnection = (conn: Socket, type: string) => {
    if (allowed(conn)) {
      original(conn, type);
      return;
    }
    dropped++;
    log.debug({ remote: conn.remoteAddress, port: conn.remotePort }, 'dropped a connection from a stranger');
    conn.on('error', () => undefined);
    conn.destroy();
  };
  return { dropped: () => dropped };
}
