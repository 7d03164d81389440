import { engine as contracts, xmpp } from '@bitween/messages';
import type { Bus, FriendAddressesStore, Logger, ServiceHost, Subscription } from '@bitween/bus';
import { browse } from './browse.js';
import type { TorrentEngine } from './engine.js';
import { boundedAdded, boundedStatus, filesPage } from './file-pages.js';
import { listPage } from './list-pages.js';
import type { PeerFilter } from './peer-filter.js';
import { serveStreaming } from './streaming/serve.js';

/** The engine's NATS endpoints: placement commands in the queue group, the rest per instance. */
export function serveCommands(host: ServiceHost, engine: TorrentEngine): void {
  const params = { engineId: engine.engineId };
  // Replies carrying a torrent carry its first files only (file-pages.ts; the rest: engine.files).
  host.serve(contracts.addPath, ({ path, trackers }) =>
    engine.addPath(path, { trackers }).then(boundedAdded),
  );
  host.serve(contracts.addHash, ({ hash, savePath, trackers, sequential, firstLastPiecesFirst, friends }) =>
    engine
      .addHash(hash, savePath, { trackers, sequential, firstLastPiecesFirst, friends })
      .then(boundedAdded),
  );
  host.serve(contracts.addTorrentFile, ({ metainfo, savePath, trackers, sequential, firstLastPiecesFirst }) =>
    engine
      .addTorrentFile(new Uint8Array(Buffer.from(metainfo, 'base64')), savePath, {
        trackers,
        sequential,
        firstLastPiecesFirst,
      })
      .then(boundedAdded),
  );
  host.serve(
    contracts.remove,
    async ({ hash, deleteData }) => {
      await engine.remove(hash, deleteData);
      return { removed: true as const };
    },
    { params },
  );
  host.serve(contracts.pause, async ({ hash }) => ({ torrent: boundedStatus(await engine.pause(hash)) }), {
    params,
  });
  host.serve(contracts.resume, async ({ hash }) => ({ torrent: boundedStatus(await engine.resume(hash)) }), {
    params,
  });
  host.serve(
    contracts.setFiles,
    async ({ hash, files }) => ({ torrent: boundedStatus(await engine.setFiles(hash, files)) }),
    {
      params,
    },
  );
  host.serve(
    contracts.setLimits,
    async ({ hash, downloadLimit, uploadLimit }) => ({
      torrent: boundedStatus(await engine.setLimits(hash, { downloadLimit, uploadLimit })),
    }),
    { params },
  );
  host.serve(
    contracts.setSequential,
    async ({ hash, sequential }) => ({
      torrent: boundedStatus(await engine.setSequential(hash, sequential)),
    }),
    { params },
  );
  host.serve(
    contracts.setOptions,
    async ({ hash, labels, seedLimits }) => ({
      torrent: boundedStatus(await engine.setOptions(hash, { labels, seedLimits })),
    }),
    { params },
  );
  host.serve(
    contracts.setLocation,
    async ({ hash, location, move }) => ({
      torrent: boundedStatus(await engine.setLocation(hash, location, move)),
    }),
    { params },
  );
  host.serve(contracts.verify, async ({ hash }) => ({ torrent: boundedStatus(await engine.verify(hash)) }), {
    params,
  });
  host.serve(contracts.reannounce, ({ hash }) => Promise.resolve({ dialled: engine.reannounce(hash) }), {
    params,
  });
  host.serve(contracts.pieces, ({ hash }) => Promise.resolve(engine.pieces(hash)), { params });
  host.serve(contracts.peers, ({ hash }) => Promise.resolve({ peers: engine.peers(hash) }), { params });
  host.serve(
    contracts.queueMove,
    async ({ hash, to }) => ({ torrent: boundedStatus(await engine.queueMove(hash, to)) }),
    {
      params,
    },
  );
  host.serve(contracts.freeSpace, ({ path }) => engine.freeSpace(path), { params });
  host.serve(contracts.list, ({ cursor }) => listPage(engine.listView(), cursor, host.maxPayload), {
    params,
  });
  host.serve(
    contracts.files,
    ({ hash, offset }) => Promise.resolve(filesPage(engine.status(hash), offset, host.maxPayload)),
    { params },
  );
  // Any instance may answer: engines of one daemon share their volumes and share roots.
  host.serve(contracts.browse, ({ path }) => browse(path, [...engine.shareRoots]));
  // A friend's share's file list, metadata only (share-files/).
  host.serve(contracts.shareFiles, ({ hash, endpoints, timeoutMs }) =>
    engine.shareFiles(hash, endpoints, timeoutMs),
  );
  // HTTP Range streaming of this engine's files (streaming/).
  // (Its idle sweep does not hold the process; torrents close with the engine.)
  serveStreaming(host, engine);
}

/**
 * Endpoints friends advertise for our torrents arrive from the gateway, with our own public
 * addresses (taken before the endpoints are dialled: the dial guard's LAN evidence). `mayDial`:
 * false for a contact the gate would refuse the torrent (per-group visibility): never dialled.
 */
export function followPeers(
  bus: Bus,
  engine: TorrentEngine,
  filter?: PeerFilter,
  mayDial: (hash: string, jid: string) => boolean = () => true,
): Subscription {
  return bus.subscribe(xmpp.peers, ({ peers, ownPublic }) => {
    if (ownPublic) engine.setOwnPublic(ownPublic);
    for (const { hash, endpoints } of peers) {
      filter?.setHashPeers(hash, endpoints);
      engine.setPeers(
        hash,
        endpoints.filter((e) => !e.jid || mayDial(hash, e.jid)),
      );
    }
  });
}

/**
 * The friends' address allowlist for the peer filter: the gateway keeps it in KV whenever its
 * friends' lists change; read at start, then every change (no paging of the lists).
 */
export async function followFriendAddresses(
  store: Pick<FriendAddressesStore, 'watch'>,
  filter: PeerFilter,
  log: Logger,
): Promise<() => void> {
  return store.watch(({ friends }) => {
    filter.replaceFriends(friends);
    log.info(
      { friends: friends.length, addresses: friends.reduce((n, f) => n + f.addresses.length, 0) },
      'friend addresses updated',
    );
  });
}

/** torrent.added / torrent.removed events on the bus. */
export function publishLifecycle(bus: Bus, engine: TorrentEngine): void {
  engine.on('added', (torrent) =>
    bus.publish(contracts.added, { torrent: boundedStatus(torrent) }, { hash: torrent.hash }),
  );
  engine.on('removed', ({ hash, deleteData }) =>
    bus.publish(contracts.removed, { hash, engineId: engine.engineId, deleteData }, { hash }),
  );
}
