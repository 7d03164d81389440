import { classifyAddress } from '@bitween/net-policy';
import type { ContactIndex } from '../domain/contact-index.js';
import type { EngineView } from '../domain/engine-view.js';
import type { GatewayEvents } from '../nats-adapter.js';

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
  ) {}

  /** Published on every change (also unchanged): an engine that restarted needs them again. */
  publish(): void {
    const now = Date.now();
    const ownEndpoints = this.engines.endpoints(now);
    const found = this.index.endpointsFor(this.engines.hashes(now), ownEndpoints);
    const peers = [...found]
      .filter(([, endpoints]) => endpoints.length > 0)
      .map(([hash, endpoints]) => ({ hash, endpoints }));
    const ownPublic = [...new Set([...this.extraAddresses(), ...ownEndpoints.map((e) => e.address)])]
      .filter((a) => classifyAddress(a) === 'public')
      .slice(0, 64);
    this.events.peers(peers, ownPublic);
  }
}
