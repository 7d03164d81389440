import { isIPv4 } from 'node:net';
import type { IceServer, PortMappingStatus, Reachability } from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';

/** Which kinds of ICE server the engine knows (from `xmpp.ice-servers`); null: not asked yet. */
export interface IceKinds {
  stun: boolean;
  turn: boolean;
}

/** What the engine knows that decides whether friends can reach it. */
export interface ReachabilityInput {
  /** The engine's own announced addresses (interfaces or BITWEEN_ANNOUNCE_ADDRESSES). */
  addresses: readonly string[];
  portMapping: PortMappingStatus;
  /**
   * The IPv6 pinholes (PCP) the engine holds, one per global IPv6 address. A global IPv6 address is
   * dialable only through an open one: behind the usual home router's stateful firewall, friends
   * get in otherwise only if the router happens to let them (not something we can see).
   */
  pinholes?: readonly PortMappingStatus[];
  /** null until the gateway answered (or failed to answer) once. */
  ice: IceKinds | null;
  /**
   * Our public addresses as the gateway knows them (configured, learnt by STUN, other engines'):
   * listed for the user (behind NAT, the router's address), never a reason for `direct`.
   */
  discovered?: readonly string[];
}

export type ReachabilityJudgement = Omit<Reachability, 'since'>;

/** The kinds of server among `servers`, by URL scheme (`stun:`/`stuns:`, `turn:`/`turns:`). */
export function iceKinds(servers: readonly IceServer[]): IceKinds {
  const urls = servers.flatMap((s) => s.urls);
  return {
    stun: urls.some((u) => /^stuns?:/i.test(u)),
    turn: urls.some((u) => /^turns?:/i.test(u)),
  };
}

const isPublic = (address: string) => classifyAddress(address) === 'public';
const isV6 = (address: string) => !isIPv4(address);

/** The addresses a pinhole is open for (a firewall-only router grants our own address). */
function pinholed(pinholes: readonly PortMappingStatus[]): Set<string> {
  const out = new Set<string>();
  for (const p of pinholes) {
    const a = p.state === 'mapped' && p.external ? canonicalIp(p.external.address) : null;
    if (a !== null) out.add(a);
  }
  return out;
}

/**
 * Can friends reach this engine? (libs/messages `Reachability`, in this order):
 * - `direct`: one of its own public IPv4 addresses, or a global IPv6 address with an open pinhole;
 *   a global IPv6 address without one is listed (`ipv6`, `publicAddresses`) but shown nothing:
 *   behind the usual stateful firewall it is likely closed, and whether it is we cannot tell;
 * - `mapped`: the router forwards its port to a public external address (a mapping whose
 *   external address is itself private, as behind carrier-grade NAT, reaches nobody outside);
 * - `hole-punching`: a STUN server is known (WebRTC through the NAT or firewall);
 * - `relay`: only a TURN server is known;
 * - `unreachable`: no STUN/TURN server known;
 * - `unknown`: nothing shown dialable and the gateway not asked yet.
 * `publicAddresses` lists the dialable ones first (the mapping, public IPv4, pinholed IPv6).
 * Pure: the caller supplies the time (`since`) through `ReachabilityTracker`.
 */
export function judgeReachability(input: ReachabilityInput): ReachabilityJudgement {
  const own = [...new Set(input.addresses.map((a) => canonicalIp(a)).filter((a) => a !== null))];
  const ownPublic = own.filter(isPublic);
  const open = pinholed(input.pinholes ?? []);
  const ownDialable = ownPublic.filter((a) => !isV6(a) || open.has(a));
  const { portMapping: pm } = input;
  const mappedPublic =
    pm.state === 'mapped' && pm.external && isPublic(pm.external.address) ? pm.external.address : null;
  const discovered = (input.discovered ?? []).map((a) => canonicalIp(a)).filter((a) => a !== null);
  const publicAddresses = [
    ...new Set([
      ...(mappedPublic ? [mappedPublic] : []),
      ...ownDialable,
      ...ownPublic,
      ...discovered.filter(isPublic),
    ]),
  ].slice(0, 32);
  const ipv6 = ownPublic.filter(isV6).slice(0, 32);
  const stun = input.ice?.stun ?? false;
  const turn = input.ice?.turn ?? false;
  const verdict: Reachability['verdict'] =
    ownDialable.length > 0
      ? 'direct'
      : mappedPublic
        ? 'mapped'
        : input.ice === null
          ? 'unknown'
          : stun
            ? 'hole-punching'
            : turn
              ? 'relay'
              : 'unreachable';
  return { verdict, publicAddresses, ipv6, stun, turn };
}

const same = (a: ReachabilityJudgement, b: ReachabilityJudgement) =>
  a.verdict === b.verdict &&
  a.stun === b.stun &&
  a.turn === b.turn &&
  a.publicAddresses.join() === b.publicAddresses.join() &&
  a.ipv6.join() === b.ipv6.join();

/** Keeps `since` at the time of the last change of the judgement (not of each announcement). */
export class ReachabilityTracker {
  #last: Reachability | null = null;

  update(input: ReachabilityInput, now: number): Reachability {
    const next = judgeReachability(input);
    if (!this.#last || !same(this.#last, next)) this.#last = { ...next, since: now };
    return this.#last;
  }
}
