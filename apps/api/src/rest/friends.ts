import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_SHARE_FILES } from '@bitween/messages';
import { problemResponses } from '../problem.js';
import type { Friends } from '../core/friends.js';
import {
  ContactSchema,
  ContactSharesSchema,
  FriendShare,
  HashInput,
  JidParams,
  PendingSubscriptionSchema,
  SearchQuery,
  SharesQuery,
} from './schemas.js';
import { publicContact, publicContactResource, publicPendingSubscription } from './to-public.js';

const Shares = z.object({ shares: z.array(FriendShare) });

const ShareFilesParams = JidParams.extend({ hash: HashInput });
const ShareFilesQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_SHARE_FILES).default(500),
});
const ShareFilesSchema = z
  .object({
    hash: z.string(),
    name: z.string().describe("the share's name (cleaned for display)"),
    files: z.array(
      z.object({
        path: z.string().describe('inside the share: cleaned names joined by "/"'),
        size: z.number().int().nonnegative(),
      }),
    ),
    total: z.number().int().nonnegative().describe('files listed (before offset/limit)'),
    totalFiles: z
      .number()
      .int()
      .nonnegative()
      .describe('files in the share (more than `total` when truncated)'),
    totalBytes: z.number().int().nonnegative(),
    truncated: z.boolean().describe(`the list stops before the end (at most ${MAX_SHARE_FILES} files)`),
    from: z
      .enum(['held', 'friend'])
      .describe('held: from our own copy; friend: its metadata fetched from the friend'),
  })
  .meta({ id: 'ShareFiles' });

/** Contacts, their shares, search, and pending subscription requests (all from the gateway). */
export const friendRoutes =
  (friends: Friends): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/contacts',
      {
        schema: {
          tags: ['contacts'],
          summary: 'Roster contacts with their online state',
          response: { 200: z.object({ contacts: z.array(ContactSchema) }), ...problemResponses },
        },
      },
      async () => ({ contacts: (await friends.contacts()).map(publicContact) }),
    );

    app.get(
      '/contacts/:jid/shares',
      {
        schema: {
          tags: ['contacts'],
          summary: "A contact's last received share list, per instance (resource), with endpoints",
          params: JidParams,
          response: { 200: ContactSharesSchema, ...problemResponses },
        },
      },
      async (request) => {
        const list = await friends.sharesOf(request.params.jid);
        return { ...list, resources: list.resources.map(publicContactResource) };
      },
    );

    app.get(
      '/friends/:jid/shares/:hash/files',
      {
        schema: {
          tags: ['shares'],
          summary:
            "The files inside a friend's share, fetched from the friend on demand (metadata only, nothing downloaded)",
          description:
            '404: no list from this friend or no such share in it; 503: the friend is offline; 504: the friend ' +
            'did not answer in time; 422: the share names files unsafely (`..`, a bidi override) and is refused.',
          params: ShareFilesParams,
          querystring: ShareFilesQuery,
          response: { 200: ShareFilesSchema, ...problemResponses, 422: problemResponses[400] },
        },
      },
      async (request) => {
        const { jid, hash } = request.params;
        const { offset, limit } = request.query;
        const list = await friends.shareFiles(jid, hash);
        return { ...list, files: list.files.slice(offset, offset + limit), total: list.files.length };
      },
    );

    app.get(
      '/shares',
      {
        schema: {
          tags: ['shares'],
          summary: "Every friend's shares, one entry per hash with who offers it",
          querystring: SharesQuery,
          response: { 200: Shares, ...problemResponses },
        },
      },
      async (request) => ({ shares: await friends.search(request.query.q, request.query.jid) }),
    );

    app.get(
      '/search',
      {
        schema: {
          tags: ['shares'],
          summary: "Search across all friends' shares by name",
          querystring: SearchQuery,
          response: { 200: Shares, ...problemResponses },
        },
      },
      async (request, reply) => {
        const shares = await friends.search(request.query.q, undefined, request.query.limit);
        // Built from contract-checked lists: sent as JSON without zod checking every entry again
        // (7% of the api's CPU in the search benchmark). (`never`: fastify sends a string as is.)
        return reply.type('application/json; charset=utf-8').send(JSON.stringify({ shares }) as never);
      },
    );

    app.get(
      '/subscriptions',
      {
        schema: {
          tags: ['contacts'],
          summary: 'Pending subscription requests (never accepted automatically)',
          response: { 200: z.object({ pending: z.array(PendingSubscriptionSchema) }), ...problemResponses },
        },
      },
      async () => ({ pending: (await friends.pending()).map(publicPendingSubscription) }),
    );

    for (const verb of ['approve', 'deny'] as const) {
      app.post(
        `/subscriptions/:jid/${verb}`,
        {
          schema: {
            tags: ['contacts'],
            summary:
              verb === 'approve'
                ? 'Approve a pending request (and subscribe back: a friend both ways)'
                : 'Deny a pending request',
            params: JidParams,
            response: { 200: z.object({ jid: z.string(), approved: z.boolean() }), ...problemResponses },
          },
        },
        async (request) => {
          await friends[verb](request.params.jid);
          return { jid: request.params.jid, approved: verb === 'approve' };
        },
      );
    }
  };
