import {
  BusError,
  engine,
  serviceNames,
  xmpp,
  type Contact,
  type ContactShares,
  type EngineState,
  type PendingSubscription,
  type TorrentStatus,
} from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, type NatsConnection } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';

/**
 * Stand-ins for one torrent engine and the gateway, for the api's own tests: real NATS micro
 * services built from the contracts in libs/messages, holding their state in memory. They
 * publish the torrent added/removed events like the real engine does.
 */
export const ENGINE_ID = 'e1';
export const HELD = '3f786850e387550fdab836ed7e6dc881de23001b';
export const OFFERED = '2b66fd261ee5c6cfc8de7fa466bab600bcfe4f69';

export function torrent(over: Partial<TorrentStatus> = {}): TorrentStatus {
  return {
    hash: HELD,
    engineId: ENGINE_ID,
    name: 'holiday',
    size: 2048,
    savePath: '/srv/bitween',
    state: 'seeding',
    progress: 1,
    done: true,
    downloaded: 0,
    uploaded: 1024,
    downloadSpeed: 0,
    uploadSpeed: 0,
    peers: 0,
    files: [
      { path: 'holiday/a.jpg', size: 1024, wanted: true, priority: 'normal', downloaded: 1024 },
      { path: 'holiday/b.jpg', size: 1024, wanted: true, priority: 'normal', downloaded: 1024 },
    ],
    error: null,
    addedAt: 1700000000000,
    eta: null,
    downloadLimit: null,
    uploadLimit: null,
    trackers: [],
    ...over,
  };
}

/** A two-file torrent a quarter downloaded (the api's format tests start from it). */
export function downloading(over: Partial<TorrentStatus> = {}): TorrentStatus {
  return torrent({
    size: 1000,
    savePath: '/data',
    state: 'downloading',
    progress: 0.25,
    done: false,
    downloaded: 250,
    downloadSpeed: 100,
    peers: 2,
    files: [
      { path: 'holiday/a.jpg', size: 600, wanted: true, priority: 'normal', downloaded: 0 },
      { path: 'holiday/b.jpg', size: 400, wanted: true, priority: 'normal', downloaded: 0 },
    ],
    ...over,
  });
}

export const friendsShares: ContactShares[] = [
  {
    jid: 'alice@example.org',
    receivedAt: 1700000000000,
    resources: [
      {
        resource: 'laptop',
        online: true,
        endpoints: [{ address: '203.0.113.5', port: 8000 }],
        shares: [
          { hash: OFFERED, name: 'Holiday Photos 2024', size: 1048576 },
          { hash: 'cccccccccccccccccccccccccccccccccccccccc', name: 'backup.tar', size: 10 },
        ],
      },
    ],
  },
  {
    jid: 'carol@example.org',
    receivedAt: 1700000000000,
    resources: [
      {
        resource: 'nas',
        online: false,
        endpoints: [],
        shares: [{ hash: OFFERED, name: 'Holiday Photos 2024', size: 1048576 }],
      },
    ],
  },
];

export interface Peers {
  torrents: Map<string, TorrentStatus>;
  pending: PendingSubscription[];
  contacts: Contact[];
  approved: string[];
  denied: string[];
  /** Stop serving (both) and withdraw the engine from the registry. */
  stop(): Promise<void>;
}

export async function startPeers(nc: NatsConnection, log: Logger): Promise<Peers> {
  const bus = new Bus(nc, log);
  const registry = await EngineRegistry.open(nc, log);
  const torrents = new Map<string, TorrentStatus>([[HELD, torrent()]]);
  const state = (): EngineState => ({
    engineId: ENGINE_ID,
    version: '0.1.0',
    endpoints: [{ address: '127.0.0.1', port: 8000 }],
    torrents: [...torrents.values()].map((t) => ({ hash: t.hash, name: t.name, size: t.size })),
    heartbeatMs: 60_000,
  });
  const announce = () => registry.announce(state());
  await announce();
  const params = { params: { engineId: ENGINE_ID } };
  const held = (hash: string) => {
    const t = torrents.get(hash);
    if (!t) throw new BusError('not_found', `no torrent with hash ${hash}`);
    return t;
  };
  const put = async (t: TorrentStatus) => {
    torrents.set(t.hash, t);
    await announce();
    return t;
  };

  const eng = await ServiceHost.start(bus, {
    name: serviceNames.engine,
    version: '0.1.0',
    metadata: { engineId: ENGINE_ID },
  });
  eng.serve(engine.list, () => ({ torrents: [...torrents.values()] }), params);
  eng.serve(engine.addPath, async ({ path }) => {
    if (path.startsWith('/missing')) throw new BusError('not_found', `no such file or directory: ${path}`);
    const hash = 'dddddddddddddddddddddddddddddddddddddddd';
    const t = await put(torrent({ hash, name: path.split('/').pop() ?? 'x', savePath: path }));
    bus.publish(engine.added, { torrent: t }, { hash });
    return { torrent: t, created: true };
  });
  // One share root `/srv` holding `music/` and `song.ogg`; anything else is outside it.
  eng.serve(engine.browse, ({ path }) => {
    if (path === undefined)
      return {
        path: null,
        parent: null,
        roots: ['/srv'],
        entries: [{ name: '/srv', type: 'dir' as const, size: null }],
        truncated: false,
      };
    if (path !== '/srv') throw new BusError('failed', `${path} is outside the share roots (/srv)`);
    return {
      path,
      parent: null,
      roots: ['/srv'],
      entries: [
        { name: 'music', type: 'dir' as const, size: null },
        { name: 'song.ogg', type: 'file' as const, size: 42 },
      ],
      truncated: false,
    };
  });
  eng.serve(engine.addHash, async ({ hash, savePath, friends }) => {
    const t = await put(
      torrent({
        hash,
        friends: friends ?? [],
        name: null,
        size: null,
        files: [],
        state: 'metadata',
        progress: 0,
        done: false,
        savePath: savePath ?? '/dl',
      }),
    );
    bus.publish(engine.added, { torrent: t }, { hash });
    return { torrent: t, created: true };
  });
  eng.serve(engine.addTorrentFile, async ({ metainfo, savePath }) => {
    if (!Buffer.from(metainfo, 'base64').toString('latin1').startsWith('d')) {
      throw new BusError('invalid_request', 'metainfo: not a bencoded dictionary');
    }
    const hash = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    return { torrent: await put(torrent({ hash, savePath: savePath ?? '/dl' })), created: true };
  });
  eng.serve(
    engine.remove,
    async ({ hash, deleteData }) => {
      held(hash);
      torrents.delete(hash);
      await announce();
      bus.publish(engine.removed, { hash, engineId: ENGINE_ID, deleteData }, { hash });
      return { removed: true as const };
    },
    params,
  );
  eng.serve(
    engine.pause,
    async ({ hash }) => ({ torrent: await put({ ...held(hash), state: 'paused' }) }),
    params,
  );
  eng.serve(
    engine.resume,
    async ({ hash }) => ({ torrent: await put({ ...held(hash), state: 'seeding' }) }),
    params,
  );
  eng.serve(
    engine.setFiles,
    async ({ hash, files }) => {
      const t = held(hash);
      const next = t.files.map((f) => ({ ...f }));
      for (const { index, wanted, priority } of files) {
        const f = next[index];
        if (!f) throw new BusError('invalid_request', `files.${index}: no file with that index`);
        if (wanted !== undefined) f.wanted = wanted;
        if (priority !== undefined) f.priority = priority;
      }
      return { torrent: await put({ ...t, files: next }) };
    },
    params,
  );
  eng.serve(
    engine.setLimits,
    async ({ hash, downloadLimit, uploadLimit }) => {
      const t = held(hash);
      return {
        torrent: await put({
          ...t,
          ...(downloadLimit !== undefined ? { downloadLimit } : {}),
          ...(uploadLimit !== undefined ? { uploadLimit } : {}),
        }),
      };
    },
    params,
  );

  const peers: Peers = {
    torrents,
    pending: [{ jid: 'dave@example.org', receivedAt: 1700000000000 }],
    contacts: [
      { jid: 'alice@example.org', name: 'Alice', subscription: 'both', online: true, resources: ['laptop'] },
      { jid: 'carol@example.org', name: null, subscription: 'both', online: false, resources: [] },
    ],
    approved: [],
    denied: [],
    stop: async () => {
      await eng.stop();
      await gw.stop();
      await registry.withdraw(ENGINE_ID);
    },
  };
  const gw = await ServiceHost.start(bus, { name: serviceNames.gateway, version: '0.1.0' });
  gw.serve(xmpp.shares, () => ({ contacts: friendsShares }));
  gw.serve(xmpp.status, () => ({ jid: 'me@example.org/bitween', online: true, contacts: 2 }));
  gw.serve(xmpp.contacts, () => ({ contacts: peers.contacts }));
  gw.serve(xmpp.subscriptions, () => ({ pending: peers.pending }));
  gw.serve(xmpp.approve, ({ jid }) => {
    if (!peers.pending.some((p) => p.jid === jid))
      throw new BusError('not_found', `no pending request from ${jid}`);
    peers.pending = peers.pending.filter((p) => p.jid !== jid);
    peers.approved.push(jid);
    return { jid, approved: true as const };
  });
  gw.serve(xmpp.deny, ({ jid }) => {
    if (!peers.pending.some((p) => p.jid === jid))
      throw new BusError('not_found', `no pending request from ${jid}`);
    peers.pending = peers.pending.filter((p) => p.jid !== jid);
    peers.denied.push(jid);
    return { jid, approved: false as const };
  });
  // Shares sent to friends: none held; an unknown offer id is not_found, as the gateway answers.
  gw.serve(xmpp.offers, () => ({ offers: [] }));
  gw.serve(xmpp.offerAccepted, ({ id }) => {
    throw new BusError('not_found', `no offer ${id}`);
  });
  gw.serve(xmpp.dismissOffer, ({ id }) => {
    throw new BusError('not_found', `no offer ${id}`);
  });
  gw.serve(xmpp.sendShare, ({ jid, hash }) => {
    if (!peers.contacts.some((c) => c.jid === jid))
      throw new BusError('not_found', `${jid} is not a contact`);
    if (!torrents.has(hash)) throw new BusError('not_found', `no engine holds ${hash}`);
    return { jid, hash, magnet: `magnet:?xt=urn:btih:${hash}` };
  });
  return peers;
}
