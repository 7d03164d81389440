import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from '../problem.js';
import { RpcCode } from '../rpc/errors.js';
import { credentialOf } from './credentials.js';
import type { FailureLimiter } from './failure-limiter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the API key (only `GET /health`). */
    public?: boolean;
    /** Errors from this route are JSON-RPC envelopes. */
    jsonRpc?: boolean;
    /** The scheme a 401 of this route asks for (`Basic` for Transmission clients); default Bearer. */
    authChallenge?: 'Bearer' | 'Basic';
  }
  interface FastifyInstance {
    /** True only for the daemon's API key (constant time). For routes that authenticate themselves. */
    verifyApiKey(candidate: string): boolean;
  }
}

export interface AuthOptions {
  verifyApiKey: (candidate: string) => boolean;
  limiter: FailureLimiter;
}

function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 401 | 429,
  detail: string,
  retryAfter?: number,
): FastifyReply {
  const config = request.routeOptions.config;
  if (status === 401) {
    reply.header('www-authenticate', `${config.authChallenge ?? 'Bearer'} realm="bitween"`);
  } else if (retryAfter !== undefined) {
    reply.header('retry-after', String(retryAfter));
  }
  if (config.jsonRpc) {
    return reply
      .code(status)
      .send({ jsonrpc: '2.0', id: null, error: { code: RpcCode.Unauthorized, message: detail } });
  }
  return sendProblem(
    reply,
    problem(status, status === 401 ? 'unauthorized' : 'rate_limited', detail, {
      instance: request.url.split('?')[0] ?? '',
    }),
  );
}

/**
 * API-key authentication for every request (unknown URLs too) except routes marked
 * `config.public`: `X-API-Key`, `Authorization: Bearer` or Basic (the key as password). An
 * address that fails too often is refused with 429 for a while, right key or not. Registered
 * without encapsulation so the hook covers the whole app.
 */
const auth: FastifyPluginCallback<AuthOptions> = (app, { verifyApiKey, limiter }, done) => {
  app.decorate('verifyApiKey', verifyApiKey);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const blocked = limiter.blockedFor(request.ip);
    if (blocked !== null) {
      return refuse(request, reply, 429, `too many failed authentications: retry in ${blocked} s`, blocked);
    }
    const given = credentialOf(request.headers);
    if (given !== null && verifyApiKey(given)) return;
    const reason = given === null ? 'missing API key' : 'wrong API key';
    limiter.fail(request.ip);
    request.log.info({ url: request.url, ip: request.ip, reason }, 'unauthorised request refused');
    return refuse(
      request,
      reply,
      401,
      `unauthorized: ${reason} (send X-API-Key: <key> or Authorization: Bearer <key>)`,
    );
  });
  done();
};
Object.assign(auth, { [Symbol.for('skip-override')]: true });

export default auth;
