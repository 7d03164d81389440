import { readFile } from 'node:fs/promises';

/**
 * The IPv4 default gateway from the text of Linux's `/proc/net/route` (the NAT-PMP server is the
 * default gateway, RFC 6886 §3.1), or null when there is no default route. Fields are hex, the
 * addresses in host (little-endian) byte order; the default route with the lowest metric wins.
 */
export function parseDefaultGateway(routeTable: string): string | null {
  let best: { gateway: string; metric: number } | null = null;
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [, destination, gatewayHex, flagsHex, , , metricText, mask] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const flags = parseInt(flagsHex, 16);
    // RTF_UP (1) and RTF_GATEWAY (2), destination and mask 0.0.0.0
    if (destination !== '00000000' || mask !== '00000000' || (flags & 3) !== 3) continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(gatewayHex)) continue;
    const n = parseInt(gatewayHex, 16);
    const gateway = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
    const metric = Number(metricText);
    if (best === null || metric < best.metric) best = { gateway, metric };
  }
  return best?.gateway ?? null;
}

export async function defaultGateway(routeFile = '/proc/net/route'): Promise<string | null> {
  try {
    return parseDefaultGateway(await readFile(routeFile, 'utf8'));
  } catch {
    return null; // not Linux, or no /proc
  }
}

const hexToIpv6 = (hex: string) => (hex.match(/.{4}/g) ?? []).map((g) => g.replace(/^0{1,3}/, '')).join(':');

/**
 * The IPv6 default router from the text of Linux's `/proc/net/ipv6_route` (the PCP server is the
 * default router, RFC 6887 §8.1), or null without one. Fields: destination, prefix length, source,
 * source prefix length, next hop (32 hex digits each but the lengths), metric, refcount, use, flags,
 * device. A link-local next hop (the usual case at home) carries its interface as a zone
 * (`fe80::1%eth0`); the lowest metric wins.
 */
export function parseDefaultGateway6(routeTable: string): string | null {
  let best: { gateway: string; metric: number } | null = null;
  for (const line of routeTable.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [destination, prefixLen, , , nextHop, metricHex, , , flagsHex, dev] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const flags = parseInt(flagsHex, 16);
    // ::/0 through a gateway (RTF_UP 1, RTF_GATEWAY 2); not a rejecting route (RTF_REJECT 0x200)
    if (!/^0{32}$/.test(destination) || prefixLen !== '00' || (flags & 3) !== 3 || flags & 0x200) continue;
    if (!/^[0-9a-fA-F]{32}$/.test(nextHop) || /^0{32}$/.test(nextHop)) continue;
    const address = hexToIpv6(nextHop.toLowerCase());
    const gateway = /^fe[89ab]/.test(nextHop.toLowerCase()) ? `${address}%${dev}` : address;
    const metric = parseInt(metricHex, 16);
    if (best === null || metric < best.metric) best = { gateway, metric };
  }
  return best?.gateway ?? null;
}

export async function defaultGateway6(routeFile = '/proc/net/ipv6_route'): Promise<string | null> {
  try {
    return parseDefaultGateway6(await readFile(routeFile, 'utf8'));
  } catch {
    return null; // not Linux, no /proc, or no IPv6
  }
}
