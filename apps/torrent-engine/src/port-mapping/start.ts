import { createHash } from 'node:crypto';
import type { PortMappingStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { natPortMapper } from './mapper-client.js';
import { NONCE_BYTES } from './pcp-codec.js';
import { pcpPinhole } from './pcp-pinhole.js';
import { PinholeSet } from './pinhole-set.js';
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

/** `log` with `fields` on every line (which pinhole a line is about). */
const withFields = (log: Logger, fields: object): Logger => ({
  debug: (obj, msg) => log.debug({ ...fields, ...obj }, msg),
  info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
  warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
  error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
});

/**
 * Opens an IPv6 pinhole for `port` in the home router's firewall with PCP for each global IPv6
 * address the engine announces (BITWEEN_PORT_MAPPING=auto), renewed and removed like the IPv4
 * mapping; null when off. `update()` the set when the announced addresses change.
 */
export function startPinholes(
  mode: 'auto' | 'off',
  opts: { engineId: string; port: number; addresses: readonly string[]; log: Logger },
): PinholeSet | null {
  if (mode === 'off') return null;
  const set = new PinholeSet(
    (address) =>
      new PortMapping({
        client: pcpPinhole({
          address,
          nonce: pinholeNonce(opts.engineId, address, opts.port),
          requestMs: 5_000,
        }),
        internalPort: opts.port,
        internalAddress: address,
        leaseMs: LEASE_MS,
        retryMs: 30_000,
        maxRetryMs: 600_000,
        log: withFields(opts.log, { pinhole: address }),
        what: 'IPv6 pinhole',
        noGatewayWarning:
          'no router answered PCP for an IPv6 pinhole: friends on IPv6 reach this engine at this address only if its firewall lets them in (retrying in the background)',
      }),
  );
  set.update(opts.addresses);
  return set;
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
