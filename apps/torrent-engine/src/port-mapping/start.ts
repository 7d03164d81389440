import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { PortMappingStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { classifyAddress } from '@bitween/net-policy';
import { natPortMapper } from './mapper-client.js';
import { NONCE_BYTES } from './pcp-codec.js';
import { pcpPinhole } from './pcp-pinhole.js';
import { PortMapping } from './port-mapping.js';

/**
 * The lease we ask for, renewed at half. An hour: IGD leases are at least that in the library, and
 * the library does not tell us what a NAT-PMP router granted (routers may shorten long requests;
 * RFC 6886 suggests two hours), so we ask for what routers commonly allow.
 */
export const LEASE_MS = 3_600_000;

/** Starts mapping `port` on the home router (BITWEEN_PORT_MAPPING=auto); null when off. */
export function startPortMapping(
  mode: 'auto' | 'off',
  opts: { engineId: string; port: number; log: Logger },
): PortMapping | null {
  if (mode === 'off') return null;
  const mapping = new PortMapping({
    client: natPortMapper({ description: `bitween ${opts.engineId}`, discoveryMs: 3_000, requestMs: 5_000 }),
    internalPort: opts.port,
    leaseMs: LEASE_MS,
    retryMs: 30_000,
    maxRetryMs: 600_000,
    log: opts.log,
  });
  mapping.start();
  return mapping;
}

/**
 * The PCP nonce of an engine's pinhole: the same after a restart (the router lets only the same
 * nonce renew or remove a pinhole), different for each engine, address and port.
 */
export function pinholeNonce(engineId: string, address: string, port: number): Uint8Array {
  const digest = createHash('sha256')
    .update(`bitween pcp pinhole\n${engineId}\n${address}\n${port}`)
    .digest();
  return Uint8Array.from(digest.subarray(0, NONCE_BYTES));
}

/** The global IPv6 address a pinhole is opened for: the first one the engine announces. */
export const pinholeAddress = (addresses: readonly string[]): string | null =>
  addresses.find((a) => isIPv6(a) && classifyAddress(a) === 'public') ?? null;

/**
 * Opens an IPv6 pinhole for `port` in the home router's firewall with PCP (BITWEEN_PORT_MAPPING=auto
 * and a global IPv6 address announced); null otherwise. Renewed and removed like the IPv4 mapping.
 */
export function startPinhole(
  mode: 'auto' | 'off',
  opts: { engineId: string; port: number; addresses: readonly string[]; log: Logger },
): PortMapping | null {
  const address = pinholeAddress(opts.addresses);
  if (mode === 'off' || address === null) return null;
  const pinhole = new PortMapping({
    client: pcpPinhole({ address, nonce: pinholeNonce(opts.engineId, address, opts.port), requestMs: 5_000 }),
    internalPort: opts.port,
    leaseMs: LEASE_MS,
    retryMs: 30_000,
    maxRetryMs: 600_000,
    log: opts.log,
    what: 'IPv6 pinhole',
    noGatewayWarning:
      'no router answered PCP for an IPv6 pinhole: friends on IPv6 reach this engine only if its firewall lets them in (retrying in the background)',
  });
  pinhole.start();
  return pinhole;
}

/** The status an engine with BITWEEN_PORT_MAPPING=off reports. */
export function portMappingOff(port: number, since: number): PortMappingStatus {
  return {
    state: 'off',
    protocol: null,
    external: null,
    internalPort: port,
    expiresAt: null,
    lastError: null,
    since,
  };
}
