// The fake answers at once: its methods are async only because the interface they stand for is.
/* eslint-disable @typescript-eslint/require-await */
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings, type TorrentStatus } from '@bitween/messages';
import type { RegisteredEngine } from '@bitween/bus';
import type { Core } from '../core/index.js';
import { CoreError, torrentNotFound } from '../core/errors.js';
import type { TorrentsSnapshot } from '../core/torrents.js';
import { ENGINE_ID, torrent } from './peers.js';

/**
 * An in-memory stand-in of the core (core/index.ts `Core`), for the unit tier of the front-ends:
 * the routes, their schemas, the OpenAPI document and each front-end's error mapping, without a
 * nats-server. It holds torrents in a map on one engine; any method can be replaced by a test
 * (e.g. to throw a `CoreError`). The real core is tested against a real nats-server elsewhere.
 */
export interface FakeCore extends Core {
  held: Map<string, TorrentStatus>;
}

const engineEntry = (held: Map<string, TorrentStatus>): RegisteredEngine => ({
  state: {
    engineId: ENGINE_ID,
    version: '0.1.0',
    endpoints: [{ address: '127.0.0.1', port: 8000 }],
    torrents: [...held.values()].map((t) => ({ hash: t.hash, name: t.name, size: t.size })),
    heartbeatMs: 60_000,
  },
  seenAt: Date.now(),
});

export function fakeCore(initial: TorrentStatus[] = [torrent()]): FakeCore {
  const held = new Map(initial.map((t) => [t.hash, t]));
  const removedListeners = new Set<(hash: string) => void>();
  let settings: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS };
  const visibility = new Map<string, string[]>();
  let version = 0;
  const memo = new Map<string, { version: number; value: unknown }>();
  const snapshot = (): TorrentsSnapshot => ({
    engines: [engineEntry(held)],
    torrents: [...held.values()],
    failed: [],
  });
  const must = (hash: string) => {
    const t = held.get(hash);
    if (!t) throw torrentNotFound(hash);
    return t;
  };
  const change = (t: TorrentStatus) => {
    held.set(t.hash, t);
    version++;
    return t;
  };
  const hashOf = (target: string | { hash: string }) => (typeof target === 'string' ? target : target.hash);
  const ids = new Map<string, number>();

  const core: FakeCore = {
    held,
    torrents: {
      engines: () => Promise.resolve([engineEntry(held)]),
      snapshot: () => Promise.resolve(snapshot()),
      list: () => Promise.resolve([...held.values()]),
      derived: <R>(key: string, derive: (s: TorrentsSnapshot) => R) => {
        const hit = memo.get(key);
        if (hit && hit.version === version) return Promise.resolve(hit.value as R);
        const value = derive(snapshot());
        memo.set(key, { version, value });
        return Promise.resolve(value);
      },
      invalidate: () => void version++,
      onRemoved: (listener) => {
        removedListeners.add(listener);
        return () => removedListeners.delete(listener);
      },
      get: async (hash) => must(hash),
      find: async (hash) => held.get(hash),
      addPath: async (path) => ({
        torrent: change(
          torrent({ hash: 'd'.repeat(40), name: path.split('/').pop() ?? 'x', savePath: path }),
        ),
        created: true,
      }),
      browse: async (path) => ({
        path: path ?? null,
        parent: null,
        roots: ['/srv'],
        entries: [],
        truncated: false,
      }),
      addHash: async (hash, opts = {}) => {
        const found = held.get(hash);
        if (found) return { torrent: found, created: false };
        return {
          torrent: change(torrent({ hash, name: null, savePath: opts.savePath ?? '/dl' })),
          created: true,
        };
      },
      addMetainfo: async (metainfo) => {
        if (metainfo.length === 0) throw new CoreError('invalid_request', 'the .torrent file is empty');
        return { torrent: change(torrent({ hash: 'e'.repeat(40) })), created: true };
      },
      pause: async (t) => change({ ...must(hashOf(t)), state: 'paused' }),
      resume: async (t) => change({ ...must(hashOf(t)), state: 'seeding' }),
      setOptions: async (t, { labels }) => change({ ...must(hashOf(t)), ...(labels ? { labels } : {}) }),
      verify: async (t) => must(hashOf(t)),
      setLocation: async (t, location) => change({ ...must(hashOf(t)), savePath: location }),
      reannounce: async (t) => (must(hashOf(t)), 0),
      setFiles: async (t) => must(hashOf(t)),
      setLimits: async (t, limits) =>
        change({
          ...must(hashOf(t)),
          ...(limits.downloadLimit !== undefined ? { downloadLimit: limits.downloadLimit } : {}),
          ...(limits.uploadLimit !== undefined ? { uploadLimit: limits.uploadLimit } : {}),
        }),
      setSequential: async (t) => must(hashOf(t)),
      queueMove: async (t) => void must(hashOf(t)),
      pieces: async (t) => (must(hashOf(t)), ''),
      peers: async (t) => (must(hashOf(t)), []),
      freeSpace: async () => ({ free: 1 << 30, total: 1 << 31 }),
      remove: async (hash) => {
        must(hash);
        held.delete(hash);
        version++;
        for (const listener of removedListeners) listener(hash);
      },
      stop: () => undefined,
    },
    friends: {
      contactShares: async () => [],
      derived: async (_key, derive) => derive([]),
      sharesOf: async (jid) => {
        throw new CoreError('not_found', `no share list received from ${jid}`);
      },
      search: async () => [],
      shareFiles: async (jid) => {
        throw new CoreError('not_found', `no share list received from ${jid}`);
      },
      contacts: async () => [],
      pending: async () => [],
      approve: async (jid) => {
        throw new CoreError('not_found', `no pending request from ${jid}`);
      },
      deny: async (jid) => {
        throw new CoreError('not_found', `no pending request from ${jid}`);
      },
      status: async () => ({ ok: true, value: { jid: 'me@example.org', online: true, contacts: 0 } }),
    },
    offers: {
      send: async (jid) => {
        throw new CoreError('not_found', `${jid} is not one of our contacts`);
      },
      list: async () => [],
      accept: async (id) => {
        throw new CoreError('not_found', `no offer ${id}`);
      },
      dismiss: async (id) => {
        throw new CoreError('not_found', `no offer ${id}`);
      },
    },
    account: {
      get: async () => ({ configured: true, source: 'environment', jid: 'me@example.org', online: true }),
      set: async () => {
        throw new CoreError('conflict', 'the account is set by BITWEEN_XMPP_JID/BITWEEN_XMPP_PASSWORD');
      },
    },
    settings: {
      engine: async () => settings,
      update: async (patch) => (settings = { ...settings, ...patch }),
    },
    visibility: {
      get: async (hash) => ({ hash, groups: visibility.get(hash) ?? [] }),
      set: async (hash, groups) => {
        const sorted = [...new Set(groups)].sort();
        if (sorted.length > 0) visibility.set(hash, sorted);
        else visibility.delete(hash);
        return { hash, groups: sorted };
      },
      groups: async () => [
        { name: 'family', contacts: 1 },
        { name: 'work', contacts: 2 },
      ],
    },
    events: {
      position: async () => ({ firstId: 0, lastId: 0, missed: 0, reset: false, after: 0 }),
      read: async () => [],
      follow: async function* (_after, signal) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    },
    daemon: {
      natsState: () => 'connected',
      probeNats: async () => ({ state: 'connected', rttMs: 0.1 }),
      gateway: async () => ({ ok: true, value: { jid: 'me@example.org', online: true, contacts: 0 } }),
      engines: async () => [engineEntry(held)],
      services: async () => [],
      sample: async () => ({
        services: { ok: true, stats: [] },
        engines: { ok: true, engines: [engineEntry(held)] },
        torrents: { ok: true, torrents: [...held.values()], failedEngines: [] },
        xmpp: { ok: true, online: true, contacts: 0 },
      }),
      readChunkBytes: () => 1 << 20,
      openStream: () => {
        throw new CoreError('unavailable', 'the fake core reads no file content');
      },
    },
    torrentIds: {
      idsOf: async (hashes) => {
        for (const h of hashes) if (!ids.has(h)) ids.set(h, ids.size + 1);
        return new Map(hashes.map((h) => [h, ids.get(h)!]));
      },
    },
    stop: () => undefined,
  };
  return core;
}
