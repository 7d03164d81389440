import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from '../problem.js';
import type { Friends } from '../core/friends.js';
import {
  ContactSchema,
  ContactSharesSchema,
  FriendShare,
  JidParams,
  PendingSubscriptionSchema,
  SearchQuery,
  SharesQuery,
} from './schemas.js';
import { publicContact, publicContactResource, publicPendingSubscription } from './to-public.js';

const Shares = z.object({ shares: z.array(FriendShare) });

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
