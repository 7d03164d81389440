import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What kind of destination an IP address is, for deciding whether bitween may connect to it on
 * someone else's word (a contact's list, a URL in an API call):
 * - `public`: reachable by any stranger on the internet (global unicast), so connecting there gives
 *   nobody anything new. The documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
 *   2001:db8::/32, 3fff::/20) count as public: they are routed nowhere, and the network lab uses them
 *   as its "internet".
 * - `lan`: a private network (RFC 1918, CGNAT 100.64/10, ULA fc00::/7, site-local fec0::/10):
 *   reachable only from inside some LAN.
 * - everything else is never a destination: this host (`loopback`, `unspecified`), the link
 *   (`link-local`, incl. cloud metadata 169.254.169.254), groups (`multicast`, `broadcast`) and
 *   `reserved` space (240/4, 192.0.0/24, benchmarking 198.18/15, Teredo, discard, …).
 * IPv4 embedded in IPv6 (`::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the
 * IPv4 address it leads to.
 */
export type AddressClass =
  'public' | 'lan' | 'loopback' | 'unspecified' | 'link-local' | 'multicast' | 'broadcast' | 'reserved';

type Range = [ipaddr.IPv4, number] | [ipaddr.IPv6, number];
const v4 = (cidr: string): Range => ipaddr.IPv4.parseCIDR(cidr);
const v6 = (cidr: string): Range => ipaddr.IPv6.parseCIDR(cidr);

const IPV4_RANGES: Record<Exclude<AddressClass, 'public'>, Range[]> = {
  unspecified: [v4('0.0.0.0/8')],
  loopback: [v4('127.0.0.0/8')],
  'link-local': [v4('169.254.0.0/16')],
  multicast: [v4('224.0.0.0/4')],
  broadcast: [v4('255.255.255.255/32')],
  lan: [v4('10.0.0.0/8'), v4('172.16.0.0/12'), v4('192.168.0.0/16'), v4('100.64.0.0/10')],
  reserved: [v4('240.0.0.0/4'), v4('192.0.0.0/24'), v4('198.18.0.0/15')],
};

const IPV6_RANGES: Record<Exclude<AddressClass, 'public'>, Range[]> = {
  unspecified: [v6('::/128')],
  loopback: [v6('::1/128')],
  'link-local': [v6('fe80::/10')],
  multicast: [v6('ff00::/8')],
  broadcast: [],
  lan: [v6('fc00::/7'), v6('fec0::/10')],
  reserved: [
    v6('::/96'), // IPv4-compatible (deprecated)
    v6('100::/64'), // discard
    v6('64:ff9b:1::/48'), // local-use NAT64
    v6('2001::/32'), // Teredo
    v6('2001:2::/48'), // benchmarking
    v6('5f00::/16'), // segment routing
  ],
};

/** Global unicast; IPv6 outside it (and outside the ranges above) is unassigned space. */
const IPV6_GLOBAL = v6('2000::/3');
const NAT64 = v6('64:ff9b::/96');
const SIX_TO_FOUR = v6('2002::/16');

/**
 * The address in canonical text form (lower case, IPv4-mapped IPv6 unwrapped), or null when `text`
 * is not an IP literal in a standard notation: no `0x7f.1`, `2130706433` or zone ids (`fe80::1%eth0`),
 * which some resolvers accept and which would slip past a textual check.
 */
export function canonicalIp(text: string): string | null {
  if (isIP(text) === 0 || text.includes('%')) return null;
  return ipaddr.process(text).toString();
}

function match(addr: ipaddr.IPv4 | ipaddr.IPv6, table: Record<string, Range[]>): AddressClass | null {
  for (const [name, ranges] of Object.entries(table)) {
    for (const [base, bits] of ranges) {
      if (base.kind() === addr.kind() && (addr as ipaddr.IPv4).match(base, bits)) {
        return name as AddressClass;
      }
    }
  }
  return null;
}

function embeddedIpv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const bytes = addr.toByteArray();
  if (addr.match(NAT64[0], NAT64[1])) return new ipaddr.IPv4(bytes.slice(12, 16));
  if (addr.match(SIX_TO_FOUR[0], SIX_TO_FOUR[1])) return new ipaddr.IPv4(bytes.slice(2, 6));
  return null;
}

/** The class of an IP literal (see {@link AddressClass}); null when `ip` is not one. */
export function classifyAddress(ip: string): AddressClass | null {
  const canonical = canonicalIp(ip);
  if (canonical === null) return null;
  const addr = ipaddr.parse(canonical);
  if (addr.kind() === 'ipv4') return match(addr, IPV4_RANGES) ?? 'public';
  const six = addr as ipaddr.IPv6;
  const inner = embeddedIpv4(six);
  if (inner) return match(inner, IPV4_RANGES) ?? 'public';
  const special = match(six, IPV6_RANGES);
  if (special) return special;
  return six.match(IPV6_GLOBAL[0], IPV6_GLOBAL[1]) ? 'public' : 'reserved';
}

const reach = (ip: string): number => {
  const c = classifyAddress(ip);
  return c === 'public' ? 0 : c === 'lan' ? 1 : 2;
};

/**
 * `items` in the order a friend should try them: public addresses first, LAN ones (reachable only
 * inside some LAN) next as LAN candidates, anything else (loopback in tests) last; the order within
 * each group is kept (an engine lists its mapped endpoint first).
 */
export function byReach<T>(items: readonly T[], addressOf: (item: T) => string): T[] {
  return items
    .map((item, i) => ({ item, i, r: reach(addressOf(item)) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((e) => e.item);
}
