import { BareJid } from '@bitween/messages';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Problem, problemResponses } from '../problem.js';
import type { Account } from '../core/account.js';

export const AccountSchema = z
  .object({
    configured: z.boolean().describe('an XMPP account is set; false on a first run'),
    source: z
      .enum(['environment', 'setup'])
      .nullable()
      .describe(
        'environment: BITWEEN_XMPP_JID/PASSWORD (cannot be changed here); setup: set through this API',
      ),
    jid: z.string().nullable(),
    online: z.boolean().describe('logged in to the XMPP server now'),
  })
  .meta({ id: 'Account' });

// The public request, not the bus contract (only the JID's format is the contract's).
const AccountBody = z
  .object({
    jid: BareJid,
    password: z.string().min(1).max(1024).describe('sent to the gateway only; never returned'),
    service: z
      .string()
      .regex(/^xmpps?:\/\/[^/\s]+$/, 'must look like xmpp://host:port')
      .optional()
      .describe("xmpp://host:port or xmpps://host:port; absent: the JID's domain (DNS SRV)"),
  })
  .meta({ id: 'AccountSettings' });

/** `/v1/account`: the XMPP account bitween logs into (first-run onboarding, account change). */
export const accountRoutes =
  (account: Account): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/account',
      {
        schema: {
          tags: ['daemon'],
          summary: 'The XMPP account: configured or not, where from, logged in or not',
          response: { 200: AccountSchema, ...problemResponses },
        },
      },
      () => account.get(),
    );

    app.put(
      '/account',
      {
        schema: {
          tags: ['daemon'],
          summary: 'Set the XMPP account (first run) or change it; the gateway logs in with it first',
          description:
            'The gateway tries to log in with the account; only if that works it stores it (in its data ' +
            'directory, mode 0600) and switches to it. 409 when the account comes from environment ' +
            'variables; 422 with the reason when the login fails.',
          body: AccountBody,
          response: {
            200: z.object({ jid: z.string(), online: z.boolean() }),
            409: Problem.describe('the account is set by BITWEEN_XMPP_JID/BITWEEN_XMPP_PASSWORD'),
            422: Problem.describe('the login failed: `detail` says why (password, server unreachable, …)'),
            ...problemResponses,
          },
        },
      },
      (request) => account.set(request.body),
    );
  };
