import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { xmpp } from '@bitween/messages';
import { z } from 'zod';
import type { Offers } from '../core/offers.js';
import { Problem, problemResponses } from '../problem.js';
import { AddedSchema, HashInput, JidParams } from './schemas.js';
import { publicTorrent } from './to-public.js';

const tags = ['offers'];

/** An offer as REST clients see it (the magnet's addresses stay inside). */
export const OfferSchema = xmpp.Offer.omit({ endpoints: true })
  .extend({
    from: z.string().describe('the friend (bare JID) who sent it'),
    name: z.string().describe('the share’s name, cleaned (bidi controls and invisible characters removed)'),
    receivedAt: z.number().int().describe('ms since epoch'),
    acceptedAt: z
      .number()
      .int()
      .nullable()
      .describe('when it was accepted (its download started); null: not yet'),
  })
  .meta({ id: 'Offer' });

const OfferParams = z.object({ id: xmpp.OfferId });

/**
 * Shares sent between friends: send one of ours to a contact (an XMPP message any client shows,
 * with the magnet), and the offers friends sent us — listed, accepted (the download starts), dismissed.
 */
export const offerRoutes =
  (offers: Offers): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/contacts/:jid/send',
      {
        schema: {
          tags,
          summary: 'Send one of our shares to a contact (an XEP-0447 message with the magnet in its text)',
          params: JidParams,
          body: z.strictObject({ hash: HashInput }),
          response: {
            200: z.object({ jid: z.string(), hash: z.string(), magnet: z.string() }),
            ...problemResponses,
            409: Problem.describe(
              'the share is seen only by some roster groups and the contact is in none of them (`detail` names them)',
            ),
          },
        },
      },
      async (request) => offers.send(request.params.jid, request.body.hash),
    );

    app.get(
      '/offers',
      {
        schema: {
          tags,
          summary: 'Shares friends sent us, newest first (at most 100)',
          response: { 200: z.object({ offers: z.array(OfferSchema) }), ...problemResponses },
        },
      },
      async () => ({ offers: (await offers.list()).map(({ endpoints: _e, ...o }) => o) }),
    );

    app.post(
      '/offers/:id/accept',
      {
        schema: {
          tags,
          summary: 'Accept an offer: its download starts (from the friend who sent it)',
          params: OfferParams,
          response: {
            200: z.object({ offer: OfferSchema, added: AddedSchema }),
            ...problemResponses,
          },
        },
      },
      async (request) => {
        const { offer, added } = await offers.accept(request.params.id);
        const { endpoints: _e, ...rest } = offer;
        return { offer: rest, added: { torrent: publicTorrent(added.torrent), created: added.created } };
      },
    );

    app.delete(
      '/offers/:id',
      {
        schema: {
          tags,
          summary: 'Dismiss an offer',
          params: OfferParams,
          response: { 204: z.undefined().describe('dismissed'), ...problemResponses },
        },
      },
      async (request, reply) => {
        await offers.dismiss(request.params.id);
        return reply.code(204).send();
      },
    );
  };
