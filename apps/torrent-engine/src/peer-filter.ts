import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { ContactShares, PeerEndpoint } from '@bitween/messages';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`; others unchanged, lower case. */
export function normaliseIp(ip: string): string {
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}

/**
 * Who announced which address: the endpoints contacts advertise — for a hash we hold
 * (`xmpp.peers`, each endpoint naming its contact's JID) or for anything in their lists
 * (`xmpp.contact-shares`, `xmpp.shares`) — and the configured extra addresses/blocks. Admission
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

  /** One contact's whole list arrived (replaces what was known for that JID). */
  setContact(contact: ContactShares): void {
    const ips = new Set<string>();
    for (const r of contact.resources) for (const e of r.endpoints) ips.add(normaliseIp(e.address));
    this.#byContact.set(contact.jid.toLowerCase(), ips);
  }

  /** Every contact's list, as the gateway holds it now (replaces all per-contact knowledge). */
  replaceContacts(contacts: ContactShares[]): void {
    this.#byContact.clear();
    for (const c of contacts) this.setContact(c);
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
