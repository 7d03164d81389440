import type { FastifyPluginAsync } from 'fastify';
import type { NatsState } from '../health/nats-state.js';
import type { EventLog } from '../events/event-log.js';
import type { AccountService } from '../services/account.js';
import type { FriendService } from '../services/friends.js';
import type { TorrentService } from '../services/torrents.js';
import { accountRoutes } from './account.js';
import { browseRoutes } from './browse.js';
import { daemonRoutes, type Settings } from './daemon.js';
import { problemErrorHandler } from './errors.js';
import { eventRoutes } from './events.js';
import { friendRoutes } from './friends.js';
import { torrentRoutes } from './torrents.js';

export interface RestDeps {
  torrents: TorrentService;
  friends: FriendService;
  account: AccountService;
  settings: Settings;
  events: EventLog;
  version: string;
  natsState: () => NatsState;
}

/** Everything under `/v1` (register with that prefix): problem+json errors, zod schemas. */
export const restApi =
  (deps: RestDeps): FastifyPluginAsync =>
  async (app) => {
    app.setErrorHandler(problemErrorHandler);
    await app.register(torrentRoutes(deps.torrents));
    await app.register(browseRoutes(deps.torrents));
    await app.register(friendRoutes(deps.friends));
    await app.register(daemonRoutes(deps));
    await app.register(accountRoutes(deps.account));
    await app.register(eventRoutes(deps.events));
  };
