import { engine as contracts, xmpp, type Bus, type ServiceHost, type Subscription } from '@bitween/messages';
import type { TorrentEngine } from './engine.js';

/** The engine's NATS endpoints: placement commands in the queue group, the rest per instance. */
export function serveCommands(host: ServiceHost, engine: TorrentEngine): void {
  const params = { engineId: engine.engineId };
  host.serve(contracts.addPath, ({ path, trackers }) => engine.addPath(path, { trackers }));
  host.serve(contracts.addHash, ({ hash, savePath, trackers }) =>
    engine.addHash(hash, savePath, { trackers }),
  );
  host.serve(contracts.addTorrentFile, ({ metainfo, savePath, trackers }) =>
    engine.addTorrentFile(new Uint8Array(Buffer.from(metainfo, 'base64')), savePath, { trackers }),
  );
  host.serve(
    contracts.remove,
    async ({ hash, deleteData }) => {
      await engine.remove(hash, deleteData);
      return { removed: true as const };
    },
    { params },
  );
  host.serve(contracts.pause, async ({ hash }) => ({ torrent: await engine.pause(hash) }), { params });
  host.serve(contracts.resume, async ({ hash }) => ({ torrent: await engine.resume(hash) }), { params });
  host.serve(
    contracts.setFiles,
    async ({ hash, files }) => ({ torrent: await engine.setFiles(hash, files) }),
    {
      params,
    },
  );
  host.serve(
    contracts.setLimits,
    async ({ hash, downloadLimit, uploadLimit }) => ({
      torrent: await engine.setLimits(hash, { downloadLimit, uploadLimit }),
    }),
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

/** torrent.added / torrent.removed events on the bus. */
export function publishLifecycle(bus: Bus, engine: TorrentEngine): void {
  engine.on('added', (torrent) => bus.publish(contracts.added, { torrent }, { hash: torrent.hash }));
  engine.on('removed', ({ hash, deleteData }) =>
    bus.publish(contracts.removed, { hash, engineId: engine.engineId, deleteData }, { hash }),
  );
}
