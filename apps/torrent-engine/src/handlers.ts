import { engine as contracts, xmpp, type Bus, type ServiceHost, type Subscription } from '@bitween/messages';
import type { TorrentEngine } from './engine.js';

/** The engine's NATS endpoints: placement commands in the queue group, the rest per instance. */
export function serveCommands(host: ServiceHost, engine: TorrentEngine): void {
  const params = { engineId: engine.engineId };
  host.serve(contracts.addPath, ({ path }) => engine.addPath(path));
  host.serve(contracts.addHash, ({ hash, savePath }) => engine.addHash(hash, savePath));
  host.serve(
    contracts.remove,
    async ({ hash }) => {
      await engine.remove(hash);
      return { removed: true as const };
    },
    { params },
  );
  host.serve(contracts.list, () => ({ torrents: engine.list() }), { params });
}

/** Endpoints friends advertise for our torrents arrive from the gateway. */
export function followPeers(bus: Bus, engine: TorrentEngine): Subscription {
  return bus.subscribe(xmpp.peers, ({ peers }) => {
    for (const { hash, endpoints } of peers) engine.setPeers(hash, endpoints);
  });
}
