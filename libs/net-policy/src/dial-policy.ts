import { BlockList, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { canonicalIp, classifyAddress, type AddressClass } from './address-class.js';

/** One of this host's interfaces, as `os.networkInterfaces()` describes it. */
export interface OwnInterface {
  address: string;
  /** `address/prefix`; null when the OS does not say. */
  cidr: string | null;
  internal: boolean;
}

/**
 * What we know of our own network (this host's interfaces, our public addresses) and what the
 * contact announces (its public addresses): whether a contact sits on our LAN, and which addresses
 * are ours.
 */
export interface LanEvidence {
  /** This host's interfaces. */
  interfaces: readonly OwnInterface[];
  /** Our own public addresses as the internet sees them (port mapping, STUN, configuration). */
  ownPublic: readonly string[];
  /** The public addresses the contact announces (none: it cannot show it shares our LAN). */
  contactPublic: readonly string[];
}

/** The public (`classifyAddress` = public) addresses of `list`, canonical. */
function publicOnly(list: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const a of list) {
    const ip = canonicalIp(a);
    if (ip !== null && classifyAddress(ip) === 'public') out.add(ip);
  }
  return out;
}

/** `ip` (canonical) is one of this host's own interface addresses. */
function isOwnAddress(ip: string, interfaces: readonly OwnInterface[]): boolean {
  return interfaces.some((i) => canonicalIp(i.address) === ip);
}

/**
 * `ip` (canonical) lies inside the subnet of one of our non-internal interfaces, and is neither our
 * own address nor an IPv4 subnet's network or broadcast address: where another host on our link
 * could be.
 */
function onOurSubnet(ip: string, interfaces: readonly OwnInterface[]): boolean {
  const addr = ipaddr.parse(ip);
  return interfaces.some((i) => {
    if (i.internal || !i.cidr) return false;
    const subnet = ipaddr.parseCIDR(i.cidr);
    if (subnet[0].kind() !== addr.kind() || !addr.match(subnet)) return false;
    if (canonicalIp(i.address) === ip) return false;
    if (addr.kind() === 'ipv4') {
      const [base, bits] = subnet as [ipaddr.IPv4, number];
      if (bits <= 30) {
        const network = ipaddr.IPv4.networkAddressFromCIDR(`${base.toString()}/${bits}`).toString();
        const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(`${base.toString()}/${bits}`).toString();
        if (ip === network || ip === broadcast) return false;
      }
    }
    return true;
  });
}

/** The contact announces a public address that is also ours: both sit behind the same router. */
function sameRouter(evidence: LanEvidence): boolean {
  const own = publicOnly(evidence.ownPublic);
  return [...publicOnly(evidence.contactPublic)].some((a) => own.has(a));
}

/**
 * True when `ip` (a LAN address a contact announced) lies on a LAN we share with that contact: it is
 * inside the subnet of one of our own interfaces (not its network, broadcast or our own address),
 * and the contact announces a public address that is also ours (both behind the same router).
 * Either alone is weak: every home uses 192.168.1.0/24, and a shared public address could be a
 * carrier-grade NAT. Only public addresses count as shared: two lists naming the same private
 * address (`10.0.0.1` on both sides) say nothing about a router in common.
 */
export function sharesLan(ip: string, evidence: LanEvidence): boolean {
  const canonical = canonicalIp(ip);
  if (canonical === null || classifyAddress(canonical) !== 'lan') return false;
  return sameRouter(evidence) && onOurSubnet(canonical, evidence.interfaces);
}

/**
 * Why a dial was refused, one word (a bounded label for counters): the class of the address;
 * `this-host` for one of this host's own interface addresses (whatever its class); `own-network`
 * for one of our own public addresses (from inside, that reaches our router or this host, not what
 * a stranger reaches); `lan` for a LAN address — or a global IPv6 address on one of our own
 * subnets — of a network we cannot show we share with the contact; `not-ip` for anything that is
 * not an IP literal in standard notation (a host name, `0x7f.1`, a zone id); `port` for a port
 * outside 1–65535.
 */
export type DialRefusal = Exclude<AddressClass, 'public'> | 'this-host' | 'own-network' | 'not-ip' | 'port';

export type DialVerdict =
  | { allowed: true; address: string; class: AddressClass | 'allow-listed' }
  | { allowed: false; reason: string; code: DialRefusal };

/**
 * Where bitween may connect on someone else's word (a contact's announced endpoints, a URL given to
 * the API): only where any stranger on the internet could connect too (`public`), a contact's LAN
 * address when we share that LAN, and the operator's own allow list. Never this host (loopback,
 * unspecified, and with evidence its own interface addresses), our own public addresses and
 * unshared IPv6 subnets (with evidence), the link, multicast/broadcast or reserved space, whatever
 * the port.
 */
export class DialPolicy {
  readonly #allow = new BlockList();

  /** `allow`: addresses or CIDR blocks the operator trusts (e.g. `127.0.0.1` for tests, a LAN). */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const [address = '', bits, ...rest] = entry.split('/');
      const ip = canonicalIp(address);
      const family = ip !== null && isIPv6(ip) ? 'ipv6' : 'ipv4';
      const prefix = bits === undefined ? null : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (
        ip === null ||
        rest.length > 0 ||
        (prefix !== null && !(prefix <= (family === 'ipv6' ? 128 : 32)))
      ) {
        throw new Error(`not an address or CIDR block: ${entry}`);
      }
      if (prefix === null) this.#allow.addAddress(ip, family);
      else this.#allow.addSubnet(ip, prefix, family);
    }
  }

  /** Whether `address` (an IP literal) is on the operator's allow list. */
  allowListed(address: string): boolean {
    const ip = canonicalIp(address);
    return ip !== null && this.#allow.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  }

  /**
   * May we dial `address:port`? `lan`: what we know locally about our network (interfaces, our
   * public addresses) and what the contact announces (its public addresses); without it a LAN
   * address is refused, and this host's own non-loopback addresses, our public addresses and our
   * own IPv6 subnets cannot be recognised (pass it whenever the interfaces are known). A port
   * outside 1–65535 is refused.
   */
  check(address: string, port: number, lan?: LanEvidence): DialVerdict {
    const ip = canonicalIp(address);
    if (ip === null)
      return { allowed: false, reason: `not an IP address: ${JSON.stringify(address)}`, code: 'not-ip' };
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return { allowed: false, reason: `port ${port} is not a port`, code: 'port' };
    }
    if (this.allowListed(ip)) return { allowed: true, address: ip, class: 'allow-listed' };
    const cls = classifyAddress(ip);
    if (lan && cls !== 'loopback' && cls !== 'unspecified' && isOwnAddress(ip, lan.interfaces)) {
      return { allowed: false, reason: `${ip} is an address of this host`, code: 'this-host' };
    }
    if (cls === 'public') {
      if (!lan) return { allowed: true, address: ip, class: cls };
      if (publicOnly(lan.ownPublic).has(ip)) {
        return { allowed: false, reason: `${ip} is our own public address`, code: 'own-network' };
      }
      // A global IPv6 address on our own link sits behind our router's firewall like a LAN one.
      if (isIPv6(ip) && onOurSubnet(ip, lan.interfaces) && !sameRouter(lan)) {
        return {
          allowed: false,
          reason: `${ip} is on our own IPv6 subnet, which we do not share with the contact`,
          code: 'lan',
        };
      }
      return { allowed: true, address: ip, class: cls };
    }
    if (cls === 'lan') {
      if (lan && sharesLan(ip, lan)) return { allowed: true, address: ip, class: cls };
      return {
        allowed: false,
        reason: `${ip} is a LAN address of a network we do not share with the contact`,
        code: 'lan',
      };
    }
    // `cls` is never null here: `ip` is a canonical IP literal.
    const code = cls ?? 'reserved';
    return { allowed: false, reason: `${ip} is a ${code} address`, code };
  }
}
