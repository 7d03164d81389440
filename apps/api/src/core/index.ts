import { ShareVisibilityStore, type Bus } from '@bitween/bus';
import { xmpp } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import { AccountService, type Account } from './account.js';
import { SharesView, TorrentsView } from './cache/views.js';
import { DaemonService, type Daemon } from './daemon.js';
import type { EventLog } from './event-log.js';
import { FriendService, sourcesOf, type Friends } from './friends.js';
import { NatsConnectionState } from './nats-state.js';
import { OfferService, type Offers } from './offers.js';
import type { Registry } from './registry.js';
import { SettingsService, type Settings, type SettingsStoreLike } from './settings.js';
import type { Surface } from './surface.js';
import { TorrentIds } from './torrent-ids.js';
import { TorrentService, type Torrents } from './torrents.js';
import { VisibilityService, type Visibility } from './visibility.js';
import { unwrap } from './errors.js';

/**
 * The api's one core: the domain services every front-end (REST, JSON-RPC, Transmission, the
 * health, metrics and streaming routes) calls. They throw `CoreError`s (errors.ts) only. This
 * is all `buildApp` gets: the unit tests of the front-ends pass an in-memory fake of it, `main`
 * the real one over NATS (`createCore`).
 */
export interface Core {
  torrents: Torrents;
  friends: Friends;
  /** Shares sent to friends, and the offers friends sent us. */
  offers: Offers;
  account: Account;
  settings: Settings;
  /** Which roster groups see each of our shares (per-group visibility). */
  visibility: Visibility;
  events: Surface<EventLog>;
  daemon: Daemon;
  /** Transmission's numeric ids of info-hashes (stable, shared by every api instance). */
  torrentIds: Pick<TorrentIds, 'idsOf'>;
  /** Stop following NATS (the caches' subscriptions). */
  stop(): void;
}

export interface CoreDeps {
  bus: Bus;
  registry: Registry;
  settings: SettingsStoreLike;
  events: EventLog;
  log: Logger;
  /** Timeout of ordinary requests to the services. */
  timeoutMs: number;
  /** Timeout of sharing a path (hashing it). */
  addPathTimeoutMs: number;
  /** How long a cached listing may serve before it is fetched again (0: no cache). */
  cacheMs: number;
}

/** Open a NATS-backed resource on first use; a failed open is retried on the next call. */
function lazy<T>(open: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= open().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** The core over NATS: the engines and the gateway found through the registry and their subjects. */
export function createCore(deps: CoreDeps): Core {
  const { bus, registry, log, timeoutMs } = deps;
  // Cached listings kept current over NATS (see cache/views.ts).
  const viewDeps = { bus, log, timeoutMs, maxAgeMs: deps.cacheMs };
  const views = { torrents: new TorrentsView({ ...viewDeps, registry }), shares: new SharesView(viewDeps) };
  const torrents = new TorrentService({
    bus,
    registry,
    log,
    timeoutMs,
    addPathTimeoutMs: deps.addPathTimeoutMs,
    view: views.torrents,
    // A download of a friend's share records whose it is (GET /v1/torrents?friend=).
    friendsOf: async (hash) => sourcesOf(await views.shares.get(), hash),
  });
  const ids = lazy(() => TorrentIds.open(bus.nc));
  return {
    torrents,
    friends: new FriendService(bus, timeoutMs, views.shares),
    offers: new OfferService(bus, timeoutMs, torrents),
    account: new AccountService(bus, timeoutMs),
    settings: new SettingsService(deps.settings),
    visibility: new VisibilityService(
      lazy(() => ShareVisibilityStore.open(bus.nc, log)),
      async () => unwrap(await bus.request(xmpp.contacts, {}, { timeoutMs })).contacts,
    ),
    events: deps.events,
    daemon: new DaemonService({ bus, registry, log, timeoutMs, nats: new NatsConnectionState(bus.nc) }),
    torrentIds: { idsOf: async (hashes) => (await ids()).idsOf(hashes) },
    stop() {
      torrents.stop();
      views.torrents.stop();
      views.shares.stop();
    },
  };
}

export { CoreError, type CoreErrorCode } from './errors.js';
export type { Account, Daemon, Friends, Offers, Settings, Torrents, Visibility };
