import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Torrents } from '../core/torrents.js';
import { problemResponses } from '../problem.js';
import { Peer } from './resources.js';
import { HashParams } from './schemas.js';
import { publicPeer } from './to-public.js';

/** `/v1/torrents/{hash}/peers`: who a torrent is connected to now (the engine's list, at most 500). */
export const peerRoutes =
  (torrents: Pick<Torrents, 'peers'>): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/torrents/:hash/peers',
      {
        schema: {
          tags: ['torrents'],
          summary:
            "A torrent's connected peers: address, client, payload rates, choke/interest flags, transport",
          params: HashParams,
          response: { 200: z.object({ peers: z.array(Peer).max(500) }), ...problemResponses },
        },
      },
      async (request) => ({ peers: (await torrents.peers(request.params.hash)).map(publicPeer) }),
    );
  };
