import UpnpClient from '@silentbot1/nat-api/lib/upnp/index.js';

/**
 * UPnP-IGD version 1 (`WANIPConnection:1`, `AddPortMapping`): routers that predate IGD v2 and so
 * have no `AddAnyPortMapping`. @achingbrain/nat-port-mapper (our IGD v2 client) searches only for
 * `InternetGatewayDevice:2` and offers no v1 action, so this goes through the v1 client of
 * @silentbot1/nat-api (the library webtorrent maps ports with). IGD v1 makes the client pick the
 * external port: the same as the internal one first, then a few others when the router answers
 * 718 ConflictInMappingEntry (another client holds it, or the router itself listens there).
 */

/** No IGD v1 gateway answered the SSDP search. */
export class NoIgdV1GatewayError extends Error {}

export interface IgdV1Options {
  description: string;
  /** How long the SSDP search waits for the router. */
  discoveryMs: number;
  /** How long one SOAP call may take. */
  requestMs: number;
}

/** What the router granted. */
export interface IgdV1Grant {
  externalAddress: string;
  externalPort: number;
}

/** How many external ports to ask for before giving up (the internal one, then random others). */
export const PORT_TRIES = 5;

/**
 * The external ports to ask an IGD v1 router for, in order: `preferred` (the one granted before,
 * so a renewal keeps it), the internal port, then random unprivileged ports, without repeats.
 */
export function externalPortCandidates(
  internalPort: number,
  preferred: number | null,
  random: () => number = Math.random,
  tries = PORT_TRIES,
): number[] {
  const out: number[] = [];
  for (const p of [preferred, internalPort]) if (p !== null && !out.includes(p)) out.push(p);
  for (let guard = 0; out.length < tries && guard < tries * 20; guard++) {
    const p = 1024 + Math.floor(random() * (65536 - 1024));
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** The router's answer says the external port is taken (718 ConflictInMappingEntry, 729 in use by another mechanism). */
export const isConflict = (err: unknown) => err instanceof Error && /conflict/i.test(err.message);

/** nat-api's calls have no timeout of their own (an HTTP request to a router that hangs). */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function withClient<T>(opts: IgdV1Options, use: (client: UpnpClient) => Promise<T>): Promise<T> {
  const client = new UpnpClient({ permanentFallback: true });
  client.timeout = opts.discoveryMs;
  try {
    return await use(client);
  } catch (err) {
    // nat-api's SSDP search rejects with "timeout" when no router answered.
    if (err instanceof Error && err.message === 'timeout')
      throw new NoIgdV1GatewayError(`no UPnP-IGD v1 gateway answered within ${opts.discoveryMs} ms`);
    throw err;
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

/**
 * Maps `internalPort` (TCP) on an IGD v1 router for `leaseMs`, trying `candidates` in order.
 * Throws NoIgdV1GatewayError when no router answers, the router's last refusal otherwise.
 */
export function igdV1Map(
  internalPort: number,
  candidates: readonly number[],
  leaseMs: number,
  opts: IgdV1Options,
): Promise<IgdV1Grant> {
  return withClient(opts, async (client) => {
    const budget = opts.discoveryMs + opts.requestMs;
    let last: unknown = new Error('no external port to ask for');
    for (const externalPort of candidates) {
      try {
        await within(
          budget,
          'UPnP-IGD v1 AddPortMapping',
          client.portMapping({
            public: externalPort,
            private: internalPort,
            protocol: 'TCP',
            description: opts.description,
            ttl: Math.ceil(leaseMs / 1000),
          }),
        );
      } catch (err) {
        last = err;
        if (isConflict(err)) continue;
        throw err;
      }
      const externalAddress = await within(budget, 'UPnP-IGD v1 GetExternalIPAddress', client.externalIp());
      return { externalAddress, externalPort };
    }
    throw last;
  });
}

/** Removes the mapping of `externalPort` (TCP); errors are the caller's to ignore. */
export function igdV1Unmap(externalPort: number, opts: IgdV1Options): Promise<void> {
  return withClient(opts, async (client) => {
    await within(
      opts.discoveryMs + opts.requestMs,
      'UPnP-IGD v1 DeletePortMapping',
      client.portUnmapping({ public: externalPort, protocol: 'TCP' }),
    );
  });
}
