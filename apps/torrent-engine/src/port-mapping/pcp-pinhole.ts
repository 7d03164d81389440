import { createSocket, type Socket } from 'node:dgram';
import { defaultGateway6 } from './default-gateway.js';
import type { GrantedMapping } from './lease-schedule.js';
import { closableMapper, NoGatewayError, type MapperClient } from './mapper-client.js';
import {
  answers,
  encodeMapRequest,
  IPPROTO_TCP,
  PCP_PORT,
  parseMapResponse,
  type MapRequest,
  type MapResponse,
} from './pcp-codec.js';

export interface PcpPinholeOptions {
  /** Our global IPv6 address (the one friends are told): the pinhole lets them in there. */
  address: string;
  /**
   * Names the pinhole at the router: renewals and the removal must repeat it (miniupnpd refuses
   * NOT_AUTHORIZED otherwise), so it is derived from the engine (pinholeNonce), and an engine that
   * restarts renews its own pinhole instead of waiting for the old one to run out.
   */
  nonce: Uint8Array;
  /** How long one request may wait for its answer (retransmitted meanwhile). */
  requestMs: number;
  /** The PCP server; default the IPv6 default router (/proc/net/ipv6_route). */
  server?: () => Promise<string | null>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One PCP MAP exchange from `address`: sent again with growing waits (0.5, 1, 2 s… RFC 6887 §8.1.1
 * asks clients to retransmit) until an answer to this request comes from the server's PCP port or
 * `requestMs` ends (null). Anything else arriving on the socket is ignored.
 */
async function exchange(server: string, req: MapRequest, requestMs: number): Promise<MapResponse | null> {
  const socket: Socket = createSocket({ type: 'udp6' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: req.clientAddress, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const packet = encodeMapRequest(req);
    return await new Promise<MapResponse | null>((resolve) => {
      const deadline = Date.now() + requestMs;
      let timer: NodeJS.Timeout | undefined;
      const done = (res: MapResponse | null) => {
        clearTimeout(timer);
        resolve(res);
      };
      socket.on('message', (msg, from) => {
        if (from.port !== PCP_PORT) return;
        let res: MapResponse;
        try {
          res = parseMapResponse(msg);
        } catch {
          return; // not an answer of the PCP server: keep waiting for one
        }
        if (answers(res, req)) done(res);
      });
      socket.on('error', () => undefined); // e.g. ICMP unreachable: silence, as far as we can tell
      const send = (attempt: number) => {
        socket.send(packet, PCP_PORT, server, () => undefined);
        const wait = Math.min(250 * 2 ** attempt, deadline - Date.now());
        timer = setTimeout(
          () => (Date.now() >= deadline - 10 ? done(null) : send(attempt + 1)),
          Math.max(wait, 10),
        );
      };
      send(1);
    });
  } finally {
    socket.close();
  }
}

/**
 * Opens (and renews) an IPv6 pinhole for our TCP port in the home router's firewall with PCP MAP
 * (RFC 6887): an IPv6 home is routed without NAT, but its router's stateful firewall lets in only
 * what answers a connection from inside. The router grants our own address and port (its
 * `external`), or answers why not; silence means no PCP server (NoGatewayError).
 */
export function pcpPinhole(opts: PcpPinholeOptions): MapperClient {
  let held: { server: string; internalPort: number } | null = null;
  const request = (internalPort: number, lifetimeS: number): MapRequest => ({
    nonce: opts.nonce,
    protocol: IPPROTO_TCP,
    clientAddress: opts.address,
    internalPort,
    suggestedExternalPort: internalPort,
    suggestedExternalAddress: opts.address,
    lifetimeS,
  });

  const release = async () => {
    const h = held;
    held = null;
    if (!h) return;
    await exchange(h.server, request(h.internalPort, 0), opts.requestMs).catch(() => null);
  };

  const mapOnce = async (internalPort: number, leaseMs: number): Promise<GrantedMapping> => {
    const server = await (opts.server ?? (() => defaultGateway6()))();
    if (!server) throw new NoGatewayError('PCP: no IPv6 default router');
    let res: MapResponse | null;
    try {
      res = await exchange(server, request(internalPort, Math.ceil(leaseMs / 1000)), opts.requestMs);
    } catch (err) {
      throw new Error(`PCP from ${opts.address}: ${message(err)}`);
    }
    if (!res) throw new NoGatewayError(`PCP at ${server}: no answer`);
    if (res.resultCode !== 0) throw new Error(`PCP at ${server}: ${res.result}`);
    held = { server, internalPort };
    return {
      protocol: 'pcp',
      externalAddress: res.externalAddress,
      externalPort: res.externalPort,
      internalPort,
      leaseMs: res.lifetimeS * 1000,
    };
  };

  return closableMapper(mapOnce, release);
}
