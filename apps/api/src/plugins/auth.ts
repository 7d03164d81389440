import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { RpcCode } from '../rpc/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the bearer token (only `GET /health`). */
    public?: boolean;
    /** Errors from this route are JSON-RPC envelopes. */
    jsonRpc?: boolean;
  }
}

export interface AuthOptions {
  /** The expected bearer token; no check at all when undefined. */
  token: string | undefined;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compare in constant time. Both sides are hashed first so neither the content nor the length
 * of the expected token leaks through timing.
 */
export function tokenMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

export function bearerOf(header: string | undefined): string | null {
  const m = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return m?.[1] ?? null;
}

/** Answer 401; the hook returns the reply so fastify stops there (the route never runs). */
function deny(request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply {
  request.log.info({ url: request.url, ip: request.ip, reason }, 'unauthorised request refused');
  const message = `unauthorized: ${reason}`;
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="bitween"')
    .send(
      request.routeOptions.config.jsonRpc
        ? { jsonrpc: '2.0', id: null, error: { code: RpcCode.Unauthorized, message } }
        : { error: 'unauthorized', message },
    );
}

/**
 * Bearer-token authentication for every request (unknown URLs too) except routes marked
 * `config.public`. Registered without encapsulation so the hook covers the whole app.
 */
const auth: FastifyPluginCallback<AuthOptions> = (app, { token }, done) => {
  if (token === undefined) return done();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    const given = bearerOf(request.headers.authorization);
    if (given === null) return deny(request, reply, 'missing bearer token');
    if (!tokenMatches(token, given)) return deny(request, reply, 'wrong bearer token');
  });
  done();
};
Object.assign(auth, { [Symbol.for('skip-override')]: true });

export default auth;
