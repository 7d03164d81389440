import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { problemResponses } from '../problem.js';
import type { Torrents } from '../core/torrents.js';
import { BrowseQuery, BrowseSchema } from './schemas.js';

/**
 * `GET /v1/browse`: folders below the share roots, for a path picker (the web UI's "share
 * something"). The api has no file system of its own to offer: an engine lists the folder (it
 * holds the roots, and its host is where shared paths must be readable), after following
 * symlinks, and refuses anything outside the roots.
 */
export const browseRoutes =
  (torrents: Torrents): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/browse',
      {
        schema: {
          tags: ['torrents'],
          summary: 'List a folder below the share roots (what can be shared); without path: the roots',
          querystring: BrowseQuery,
          response: { 200: BrowseSchema, ...problemResponses },
        },
      },
      async (request) => torrents.browse(request.query.path),
    );
  };
