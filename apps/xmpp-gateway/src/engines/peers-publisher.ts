import type { PeerEndpoint } from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';
import type { ContactIndex } from '../domain/contact-index.js';
import type { EngineView } from '../domain/engine-view.js';
import type { GatewayEvents } from '../nats-adapter.js';

const endpointKey = (e: { address: string; port: number }) =>
  `${canonicalIp(e.address) ?? e.address}|${e.port}`;

/**
 * Hands the engines, for every hash they hold, the endpoints online friends offer it at (never
 * our own), and our own public addresses (configured or discovered, and the engines' public
 * endpoints): with a LAN endpoint's `publicAddresses`, the evidence an engine needs before it
 * dials a LAN address (it decides; libs/net-policy `sharesLan`).
 */
export class PeersPublisher {
  constructor(
    private readonly index: ContactIndex,
    private readonly engines: EngineView,
    private readonly events: GatewayEvents,
    private readonly extraAddresses: () => readonly string[],
    /** More endpoints for held hashes (the offers friends sent us: offers/share-offers.ts). */
    private readonly more: (hashes: string[]) => Map<string, PeerEndpoint[]> = () => new Map(),
  ) {}

  /** Published on every change (also unchanged): an engine that restarted needs them again. */
  publish(): void {
    const now = Date.now();
    const ownEndpoints = this.engines.endpoints(now);
    const hashes = this.engines.hashes(now);
    const found = this.index.endpointsFor(hashes, ownEndpoints);
    const own = new Set(ownEndpoints.map(endpointKey));
    for (const [hash, extra] of this.more(hashes)) {
      const known = new Map((found.get(hash) ?? []).map((e) => [endpointKey(e), e]));
      for (const e of extra)
        if (!own.has(endpointKey(e)) && !known.has(endpointKey(e))) known.set(endpointKey(e), e);
      found.set(hash, [...known.values()]);
    }
    const peers = [...found]
      .filter(([, endpoints]) => endpoints.length > 0)
      .map(([hash, endpoints]) => ({ hash, endpoints }));
    const ownPublic = [...new Set([...this.extraAddresses(), ...ownEndpoints.map((e) => e.address)])]
      .filter((a) => classifyAddress(a) === 'public')
      .slice(0, 64);
    this.events.peers(peers, ownPublic);
  }
}
