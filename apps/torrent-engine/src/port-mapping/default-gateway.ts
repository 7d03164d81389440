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
