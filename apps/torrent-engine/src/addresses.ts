import { isIPv4 } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import type { Endpoint } from '@bitween/messages';
import { byReach, classifyAddress } from '@bitween/net-policy';

/**
 * The addresses a friend can reach this engine on, from the host's interfaces: every
 * non-internal IPv4 address and every global IPv6 address (not loopback, link-local fe80::/10,
 * unique-local fc00::/7 or IPv4-mapped). The original asked "what is my IP" web services for
 * its public IPv4 and blocked when they were unreachable; we never leave the host to find out.
 * Behind NAT, set BITWEEN_ANNOUNCE_ADDRESSES to the public address instead.
 */
export function detectAddresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  families: { ipv4: boolean; ipv6: boolean },
): string[] {
  const out = new Set<string>();
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4' && families.ipv4) out.add(info.address);
      if (info.family === 'IPv6' && families.ipv6 && isGlobalIPv6(info.address)) out.add(info.address);
    }
  }
  return [...out];
}

/** A global IPv6 address: not loopback, link-local, unique-local, multicast, IPv4-mapped or reserved. */
export function isGlobalIPv6(address: string): boolean {
  return classifyAddress(address) === 'public' && !isIPv4(address.replace(/^::ffff:/i, ''));
}

/** Configured addresses win; a family switched off is filtered from them too. */
export function announceAddresses(
  configured: string[],
  detected: () => string[],
  families: { ipv4: boolean; ipv6: boolean },
): string[] {
  const list = configured.length > 0 ? configured : detected();
  return list.filter((a) => (isIPv4(a) ? families.ipv4 : families.ipv6));
}

/**
 * The endpoints this engine announces: the router's mapped address and port first (the external
 * port the router granted, not ours), then our own addresses with our listen port; public before
 * private throughout (a mapping behind carrier-grade NAT has a private external address and goes
 * with the LAN candidates).
 */
export function announcedEndpoints(
  addresses: readonly string[],
  port: number,
  mapped: Endpoint | null,
): Endpoint[] {
  const out = new Map<string, Endpoint>();
  if (mapped) out.set(`${mapped.address}|${mapped.port}`, mapped);
  for (const address of addresses) out.set(`${address}|${port}`, { address, port });
  return byReach([...out.values()], (e) => e.address);
}
