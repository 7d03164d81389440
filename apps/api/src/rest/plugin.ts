import type { FastifyPluginAsync } from 'fastify';
import type { Core } from '../core/index.js';
import { accountRoutes } from './account.js';
import { browseRoutes } from './browse.js';
import { daemonRoutes } from './daemon.js';
import { problemErrorHandler } from './errors.js';
import { eventRoutes } from './events.js';
import { friendRoutes } from './friends.js';
import { offerRoutes } from './offers.js';
import { peerRoutes } from './peers.js';
import { torrentRoutes } from './torrents.js';
import { visibilityRoutes } from './visibility.js';

export type RestDeps = Pick<
  Core,
  'torrents' | 'friends' | 'offers' | 'account' | 'settings' | 'visibility' | 'events' | 'daemon'
> & {
  version: string;
};

/** Everything under `/v1` (register with that prefix): problem+json errors, zod schemas. */
export const restApi =
  (deps: RestDeps): FastifyPluginAsync =>
  async (app) => {
    app.setErrorHandler(problemErrorHandler);
    await app.register(torrentRoutes(deps.torrents));
    await app.register(peerRoutes(deps.torrents));
    await app.register(browseRoutes(deps.torrents));
    await app.register(friendRoutes(deps.friends));
    await app.register(visibilityRoutes(deps.visibility));
    await app.register(offerRoutes(deps.offers));
    await app.register(daemonRoutes(deps));
    await app.register(accountRoutes(deps.account));
    await app.register(eventRoutes(deps.events));
  };
