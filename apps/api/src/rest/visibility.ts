import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { xmpp } from '@bitween/messages';
import type { Visibility } from '../core/visibility.js';
import { problemResponses } from '../problem.js';
import { HashParams } from './schemas.js';

const tags = ['torrents'];

const ShareGroups = z
  .object({
    hash: z.string(),
    groups: z
      .array(z.string())
      .describe('the roster groups that see this share; empty: every contact (the default)'),
  })
  .meta({ id: 'ShareVisibility' });

const SetGroupsBody = z.object({
  groups: z
    .array(xmpp.GroupName)
    .max(32)
    .describe('roster group names (1-256 characters, no control characters); [] = every contact'),
});

const RosterGroups = z
  .object({
    groups: z.array(
      z.object({ name: z.string(), contacts: z.number().int().nonnegative() }).meta({ id: 'RosterGroup' }),
    ),
  })
  .meta({ id: 'RosterGroups' });

/**
 * Per-group visibility of a share (issue 20): which roster groups see it. The XMPP server enforces
 * it on the listing (a PEP node per group set, access model whitelist): a contact outside those
 * groups can neither receive nor fetch it; the engines on the bytes (they refuse such a contact's
 * connections for the share).
 */
export const visibilityRoutes =
  (visibility: Visibility): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/torrents/:hash/visibility',
      {
        schema: {
          tags,
          summary: 'Which roster groups see a share',
          params: HashParams,
          response: { 200: ShareGroups, ...problemResponses },
        },
      },
      async (request) => visibility.get(request.params.hash),
    );

    app.put(
      '/torrents/:hash/visibility',
      {
        schema: {
          tags,
          summary: 'Choose which roster groups see a share',
          description:
            'Only contacts in at least one of the groups see the share; their XMPP server refuses it to ' +
            'everyone else, and our engines refuse anyone else who asks for its bytes. `[]` makes it visible to every contact again (the default). Friends running ' +
            'the original Bitween see only shares visible to every contact.',
          params: HashParams,
          body: SetGroupsBody,
          response: { 200: ShareGroups, ...problemResponses },
        },
      },
      async (request) => visibility.set(request.params.hash, request.body.groups),
    );

    app.get(
      '/groups',
      {
        schema: {
          tags: ['contacts'],
          summary: 'The roster groups to choose from (with their number of contacts)',
          response: { 200: RosterGroups, ...problemResponses },
        },
      },
      async () => ({ groups: await visibility.groups() }),
    );
  };
