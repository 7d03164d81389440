import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { pmpNat, upnpNat, type Gateway } from '@achingbrain/nat-port-mapper';
import { defaultGateway } from './default-gateway.js';
import { externalPortCandidates, igdV1Map, igdV1Unmap, NoIgdV1GatewayError } from './igd-v1.js';
import type { GrantedMapping, MappingProtocol } from './lease-schedule.js';

/** No gateway answered (no UPnP device found, no NAT-PMP reply). */
export class NoGatewayError extends Error {}

/**
 * A NAT-PMP answer for another port: every NAT-PMP client on a host listens on UDP 5350, so two
 * engines mapping at the same moment can read each other's answers. Asked again after a pause.
 */
class CrossedAnswerError extends Error {}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Maps one TCP port on the home router; what the port-mapping driver talks to. */
export interface MapperClient {
  /** Map (or renew) `internalPort`, asking for the same external port. Throws NoGatewayError when nothing answers. */
  map(internalPort: number, leaseMs: number): Promise<GrantedMapping>;
  /** Remove the mapping (clean shutdown); idempotent. A map() still under way is removed when it lands. */
  unmap(): Promise<void>;
}

/**
 * A MapperClient from one map attempt and its release: once unmap() has been called, a map()
 * still under way releases what it got (the router must not keep it) and fails.
 */
export function closableMapper(
  mapOnce: (internalPort: number, leaseMs: number) => Promise<GrantedMapping>,
  release: () => Promise<void>,
): MapperClient {
  let closed = false;
  return {
    async map(internalPort, leaseMs) {
      const m = await mapOnce(internalPort, leaseMs);
      if (closed) {
        await release();
        throw new Error('closed');
      }
      return m;
    },
    unmap: async () => {
      closed = true;
      await release();
    },
  };
}

export interface NatMapperOptions {
  /** Text for the router's mapping list (e.g. `bitween engine-1`). */
  description: string;
  /** How long to search for a UPnP gateway (SSDP) before trying NAT-PMP. */
  discoveryMs: number;
  /** How long one request (SOAP call, NAT-PMP reply) may take. */
  requestMs: number;
  /** NAT-PMP server; default the IPv4 default gateway (/proc/net/route). */
  pmpGateway?: () => Promise<string | null>;
}

/** The local address the kernel would use to reach `host` (the mapping's internal client). */
async function localAddressTowards(host: string): Promise<string> {
  const socket = createSocket(isIPv4(host) ? 'udp4' : 'udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(9, host, () => resolve()); // no packet is sent: connect() only picks the route
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * UPnP-IGD (version 2: `AddAnyPortMapping`, so the router may grant another external port when ours
 * is taken) first, then NAT-PMP at the default gateway, through @achingbrain/nat-port-mapper (the
 * library libp2p uses), then UPnP-IGD version 1 (`AddPortMapping`, igd-v1.ts) for older routers.
 * The gateway that worked is kept for renewals; when it stops answering the next attempt searches
 * again. The library's own refresh timers are off: renewals are ours (lease-schedule.ts), so the
 * state and the log tell the truth.
 */
export function natPortMapper(opts: NatMapperOptions): MapperClient {
  /** What holds the mapping: a gateway of the library (IGD v2, NAT-PMP) or an IGD v1 router. */
  let current: {
    gateway: Gateway | 'igd-v1';
    protocol: MappingProtocol;
    internalPort: number;
    externalPort: number;
  } | null = null;
  const lib = { autoRefresh: false, description: opts.description };

  const release = async () => {
    const c = current;
    current = null;
    if (!c) return;
    if (c.gateway === 'igd-v1') {
      await igdV1Unmap(c.externalPort, opts).catch(() => undefined);
      return;
    }
    const signal = () => AbortSignal.timeout(opts.requestMs);
    // The library deletes a UPnP mapping by external port = internal port: when the router
    // granted another port, deleting would hit someone else's mapping, so the lease runs out.
    if (c.protocol === 'upnp-igd' && c.externalPort !== c.internalPort) return;
    await c.gateway.unmap(c.internalPort, { signal: signal() }).catch(() => undefined);
    await c.gateway.stop({ signal: signal() }).catch(() => undefined); // closes its sockets
  };

  const viaGateway = async (
    gateway: Gateway,
    protocol: MappingProtocol,
    internalPort: number,
    leaseMs: number,
    timeoutMs = opts.requestMs,
  ): Promise<GrantedMapping> => {
    const internalHost = await localAddressTowards(gateway.host);
    const m = await gateway.map(internalPort, internalHost, {
      protocol: 'tcp',
      externalPort: internalPort,
      ttl: leaseMs,
      autoRefresh: false,
      description: opts.description,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (m.internalPort !== internalPort)
      throw new CrossedAnswerError(
        `the answer was for port ${m.internalPort} (another NAT-PMP client on this host mapping at the same time)`,
      );
    // The UPnP side of the library asks for at least an hour (IGD's lease unit is seconds).
    const granted = protocol === 'upnp-igd' ? Math.max(leaseMs, 3_600_000) : leaseMs;
    return {
      protocol,
      externalAddress: m.externalHost,
      externalPort: m.externalPort,
      internalPort,
      leaseMs: granted,
    };
  };

  /** IGD v1: the port granted before (a renewal keeps it), else ours, else a few others. */
  const viaIgdV1 = async (
    internalPort: number,
    leaseMs: number,
    preferred: number | null,
  ): Promise<GrantedMapping> => {
    const granted = await igdV1Map(
      internalPort,
      externalPortCandidates(internalPort, preferred),
      leaseMs,
      opts,
    );
    return { protocol: 'upnp-igd', internalPort, leaseMs, ...granted };
  };

  const findUpnp = async (): Promise<Gateway | null> => {
    const client = upnpNat(lib);
    for await (const gateway of client.findGateways({ signal: AbortSignal.timeout(opts.discoveryMs) })) {
      if (gateway.family === 'IPv4') return gateway;
      await gateway.stop().catch(() => undefined);
    }
    return null;
  };

  return closableMapper(mapOnce, release);

  async function mapOnce(internalPort: number, leaseMs: number): Promise<GrantedMapping> {
    const kept = current;
    if (kept && kept.internalPort === internalPort) {
      try {
        const m =
          kept.gateway === 'igd-v1'
            ? await viaIgdV1(internalPort, leaseMs, kept.externalPort)
            : await viaGateway(kept.gateway, kept.protocol, internalPort, leaseMs);
        kept.externalPort = m.externalPort;
        return m;
      } catch {
        await release(); // search again below
      }
    }
    const errors: string[] = [];
    let answered = false;
    const upnp = await findUpnp().catch((err: unknown) => {
      errors.push(`UPnP: ${message(err)}`);
      return null;
    });
    if (upnp) {
      answered = true;
      try {
        const m = await viaGateway(upnp, 'upnp-igd', internalPort, leaseMs);
        current = { gateway: upnp, protocol: 'upnp-igd', internalPort, externalPort: m.externalPort };
        return m;
      } catch (err) {
        errors.push(`UPnP-IGD at ${upnp.host}: ${message(err)}`);
        await upnp.stop().catch(() => undefined);
      }
    } else errors.push(`no UPnP-IGD v2 gateway answered within ${opts.discoveryMs} ms`);

    const host = await (opts.pmpGateway ?? (() => defaultGateway()))();
    if (host) {
      // The library sends each request once; NAT-PMP clients retransmit (RFC 6886 §3.1), and
      // every client on this host listens on UDP 5350, so an answer can go to another engine.
      // Asked again with growing waits (0.5, 1, 2 s, then the rest of requestMs) on silence
      // or an answer for another port.
      const deadline = Date.now() + opts.requestMs;
      for (let attempt = 1; ; attempt++) {
        const pmp = pmpNat(host, lib);
        const wait = Math.max(100, Math.min(250 * 2 ** attempt, deadline - Date.now()));
        try {
          const m = await viaGateway(pmp, 'nat-pmp', internalPort, leaseMs, wait);
          current = { gateway: pmp, protocol: 'nat-pmp', internalPort, externalPort: m.externalPort };
          return m;
        } catch (err) {
          await pmp.stop().catch(() => undefined);
          const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
          if ((timedOut || err instanceof CrossedAnswerError) && Date.now() < deadline - 100) {
            if (err instanceof CrossedAnswerError) await pause(100 + Math.random() * 400);
            continue;
          }
          // Silence means NAT-PMP is not there; any other error is the gateway's answer.
          if (!timedOut) answered = true;
          errors.push(`NAT-PMP at ${host}: ${timedOut ? 'no answer' : message(err)}`);
          break;
        }
      }
    } else errors.push('NAT-PMP: no default gateway');

    // Last, a router that speaks only UPnP-IGD v1 (the v2 search above does not find it).
    try {
      const m = await viaIgdV1(internalPort, leaseMs, null);
      current = { gateway: 'igd-v1', protocol: 'upnp-igd', internalPort, externalPort: m.externalPort };
      return m;
    } catch (err) {
      if (!(err instanceof NoIgdV1GatewayError)) answered = true;
      errors.push(err instanceof NoIgdV1GatewayError ? err.message : `UPnP-IGD v1: ${message(err)}`);
    }

    const text = errors.join('; ');
    throw answered ? new Error(text) : new NoGatewayError(text);
  }
}
