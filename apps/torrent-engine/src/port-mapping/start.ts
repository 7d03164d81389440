import type { PortMappingStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { natPortMapper } from './mapper-client.js';
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
