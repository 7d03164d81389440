import { z } from 'zod';
import { IpAddress, Port } from '../schemas.js';

/**
 * How an engine's listen port is mapped on the home router (issue 19), as it shows in the engine's
 * registry entry so the api can tell the user whether friends can reach them:
 * - `off`: BITWEEN_PORT_MAPPING=off;
 * - `searching`: looking for a gateway (UPnP-IGD, NAT-PMP), nothing mapped yet;
 * - `mapped`: the router forwards `external` to our port until `expiresAt` (renewed before);
 * - `unavailable`: no gateway answered or it refused (`lastError`); tried again every `retryMs`.
 */
export const PortMappingStatus = z.object({
  state: z.enum(['off', 'searching', 'mapped', 'unavailable']),
  /** The protocol that made the mapping (or the last one tried); `pcp` for an IPv6 pinhole. */
  protocol: z.enum(['upnp-igd', 'nat-pmp', 'pcp']).nullable(),
  /** The router's address and the port it granted (may differ from the local one). */
  external: z.object({ address: IpAddress, port: Port }).nullable(),
  internalPort: Port.nullable(),
  /** A pinhole: the global IPv6 address of ours it opens (known also before the router answered). */
  internalAddress: IpAddress.optional(),
  /** Epoch ms when the lease ends unless renewed (null while nothing is mapped). */
  expiresAt: z.number().int().nonnegative().nullable(),
  lastError: z.string().max(500).nullable(),
  /** Epoch ms of the last change of state. */
  since: z.number().int().nonnegative(),
});
export type PortMappingStatus = z.infer<typeof PortMappingStatus>;
