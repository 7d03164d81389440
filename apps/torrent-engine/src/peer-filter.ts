import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { PeerEndpoint } from '@bitween/messages';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`; others unchanged, lower case. */
export function normaliseIp(ip: string): string {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}

/**
 * Who announced which address: the endpoints contacts advertise — for a hash we hold
 * (`xmpp.peers`, each endpoint naming its contact's JID) or anywhere in their lists (the friends'
 * address allowlist the gateway keeps in KV, `FriendAddresses`) — and the configured extra
 * addresses/blocks. Admission
 * (admission/gate.ts) asks it whether a peer that gives no ticket proof may in by its address:
 * only when the address is in the extra allow list or announced by a `legacy` contact (the
 * original Bitween, which has no tickets). Matching is by IP only: the source port of an
 * incoming connection is ephemeral.
 */
export class PeerFilter {
  /** hash → ip → the JIDs naming it (an endpoint from an older gateway names none: ''). */
  readonly #byHash = new Map<string, Map<string, Set<string>>>();
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
  setHashPeers(hash: string, endpoints: PeerEndpoint[]): void {
    const ips = new Map<string, Set<string>>();
    for (const e of endpoints) {
      const ip = normaliseIp(e.address);
      const jids = ips.get(ip) ?? new Set<string>();
      jids.add(e.jid?.toLowerCase() ?? '');
      ips.set(ip, jids);
    }
    this.#byHash.set(hash, ips);
  }

  /** The friends' address allowlist as the gateway now holds it (replaces all per-friend knowledge). */
  replaceFriends(friends: readonly { jid: string; addresses: readonly string[] }[]): void {
    this.#byContact.clear();
    for (const f of friends) this.#byContact.set(f.jid.toLowerCase(), new Set(f.addresses.map(normaliseIp)));
  }

  /** Is `remoteAddress` in the configured extra allow list? */
  extraAllows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const ip = normaliseIp(remoteAddress);
    return isIPv4(ip) ? this.#extra.check(ip, 'ipv4') : isIPv6(ip) && this.#extra.check(ip, 'ipv6');
  }

  /**
   * Does a contact for which `counts(jid)` holds announce `remoteAddress`? (`jid` is '' for an
   * endpoint from an older gateway, which names no contact.)
   */
  announcedBy(remoteAddress: string | undefined, counts: (jid: string) => boolean): boolean {
    if (!remoteAddress) return false;
    const ip = normaliseIp(remoteAddress);
    for (const [jid, ips] of this.#byContact) if (ips.has(ip) && counts(jid)) return true;
    for (const ips of this.#byHash.values())
      for (const jid of ips.get(ip) ?? []) if (counts(jid)) return true;
    return false;
  }

  /** The rule before tickets: the allow list or an address any contact announces (off: anyone). */
  allows(remoteAddress: string | undefined): boolean {
    if (!this.enabled) return true;
    return this.extraAllows(remoteAddress) || this.announcedBy(remoteAddress, () => true);
  }
}
