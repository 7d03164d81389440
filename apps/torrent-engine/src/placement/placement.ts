import { type TorrentStatus } from '@bitween/messages';
import { fetchAllTorrents, type Bus, type EngineRegistry, type TorrentClaims } from '@bitween/bus';
import { inParallel } from '../durable/in-parallel.js';
import type { Placement } from '../engine.js';

/** Claims `claimAll` keeps in flight (each a KV read and a compare-and-swap). */
const CLAIMS_IN_FLIGHT = 32;

/**
 * The engine's `Placement` over NATS: claims in the `bitween_torrent_owners` KV bucket (an
 * owner counts as alive while its registry heartbeats do), the owner's view of a torrent by
 * its per-instance `list` command.
 */
export function natsPlacement(deps: {
  claims: TorrentClaims;
  registry: Pick<EngineRegistry, 'live'>;
  bus: Bus;
  timeoutMs?: number;
}): Placement {
  const { claims, registry, bus } = deps;
  const liveIds = async () => new Set((await registry.live()).map((e) => e.state.engineId));
  return {
    async claim(hash) {
      const live = await liveIds();
      return claims.claim(hash, (id) => live.has(id));
    },
    async claimAll(hashes) {
      const live = await liveIds();
      return inParallel(hashes, CLAIMS_IN_FLIGHT, (hash) => claims.claim(hash, (id) => live.has(id)));
    },
    release: (hash) => claims.release(hash),
    async statusAt(owner, hash): Promise<TorrentStatus | null> {
      const r = await fetchAllTorrents(bus, owner, { timeoutMs: deps.timeoutMs });
      return r.ok ? (r.value.find((t) => t.hash === hash) ?? null) : null;
    },
  };
}
