import { z } from 'zod';

/** Connections an engine opened or accepted since it started, by transport (Prometheus counters). */
export const ConnectionCounters = z.object({
  /** TCP we dialled, or accepted from a LAN address or without a port mapping. */
  tcpDirect: z.number().int().nonnegative(),
  /** TCP accepted from outside while the router forwarded our port (UPnP-IGD / NAT-PMP). */
  tcpMapped: z.number().int().nonnegative(),
  /** WebRTC data channels over a host or server-reflexive (hole-punched) candidate pair. */
  webrtcDirect: z.number().int().nonnegative(),
  /** WebRTC data channels through a TURN relay. */
  webrtcRelayed: z.number().int().nonnegative(),
});
export type ConnectionCounters = z.infer<typeof ConnectionCounters>;

/** Peers judged by who they are (tickets) since start: admitted, and refused by reason. */
export const AdmissionCounters = z.object({
  admitted: z.number().int().nonnegative(),
  /**
   * `no-proof` (no ticket answer in time), `bad-proof`, `stranger` (no ticket, not a legacy
   * address), `overload`, `hidden` (a contact outside a restricted share's roster groups).
   */
  refused: z.record(z.string().max(32), z.number().int().nonnegative()),
});
export type AdmissionCounters = z.infer<typeof AdmissionCounters>;

/**
 * Can friends reach this engine? `verdict`:
 * - `direct`: it listens on a public IPv4 address, or on a global IPv6 address for which the home
 *   router opened a pinhole (PCP); a global IPv6 address without one is not enough (a stateful
 *   firewall likely drops friends' connections there, and we cannot see whether it does);
 * - `mapped`: the router forwards its port (see `portMapping`);
 * - `hole-punching`: not dialable; friends reach it through WebRTC with STUN;
 * - `relay`: only through a TURN relay (no STUN answer, or a symmetric NAT);
 * - `unreachable`: none of the above (no STUN/TURN server known);
 * - `unknown`: not worked out yet.
 */
export const Reachability = z.object({
  verdict: z.enum(['direct', 'mapped', 'hole-punching', 'relay', 'unreachable', 'unknown']),
  /** Public addresses friends are told (from the mapping, STUN or local interfaces), dialable ones first. */
  publicAddresses: z.array(z.string().max(64)).max(32),
  /** Global IPv6 addresses of this host (with or without a pinhole: see the engine's `pinholes`). */
  ipv6: z.array(z.string().max(64)).max(32),
  /** STUN / TURN servers known to the engine. */
  stun: z.boolean(),
  turn: z.boolean(),
  /** Epoch ms of the last change. */
  since: z.number().int().nonnegative(),
});
export type Reachability = z.infer<typeof Reachability>;
