import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem, type ProblemCode } from '../problem.js';
import { crossOriginRisk } from './cross-origin.js';
import { presentedCredential } from './credentials.js';
import type { FailureLimiter } from './failure-limiter.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the API key (only `GET /health…` and the documentation). */
    public?: boolean;
    /**
     * The body of a refusal on this route, when it is not problem+json (the JSON-RPC route
     * answers with its own envelope): given the HTTP status and the reason.
     */
    refusalBody?: (status: 401 | 415 | 429, detail: string) => unknown;
    /**
     * The Transmission endpoint: the only one that takes the key as a Basic password (and asks for
     * Basic in a 401), and takes any body type. Its CSRF guard is its own session-id handshake.
     */
    transmission?: boolean;
    /** Takes a `multipart/form-data` body (file upload); the key must still come in a header. */
    multipart?: boolean;
    /** Also passes with a valid signed link for this request (a stream URL's `token`), without the key. */
    signedUrl?: (request: FastifyRequest) => boolean;
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

/** Every this-many failures of an address while it is over its limit, one more warning. */
const WARN_EVERY = 1000;

function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 401 | 415 | 429,
  detail: string,
  retryAfter?: number,
): FastifyReply {
  const config = request.routeOptions.config;
  if (status === 401) {
    reply.header('www-authenticate', `${config.transmission ? 'Basic' : 'Bearer'} realm="bitween"`);
  } else if (retryAfter !== undefined) {
    reply.header('retry-after', String(retryAfter));
  }
  if (config.refusalBody) return reply.code(status).send(config.refusalBody(status, detail));
  const codes: Record<typeof status, ProblemCode> = {
    401: 'unauthorized',
    415: 'unsupported_media_type',
    429: 'rate_limited',
  };
  return sendProblem(
    reply,
    problem(status, codes[status], detail, { instance: request.url.split('?')[0] ?? '' }),
  );
}

const HOW = 'send X-API-Key: <key> or Authorization: Bearer <key>';

/**
 * API-key authentication for every request (unknown URLs too) except routes marked
 * `config.public`, then the cross-origin guard. Registered without encapsulation so the hooks
 * cover the whole app.
 *
 * - The key comes in `X-API-Key` or `Authorization: Bearer`: headers a browser never adds by
 *   itself and a web page on another origin cannot add without a CORS preflight. Basic (the key
 *   as password) only on the Transmission endpoint: browsers remember Basic credentials and send
 *   them with any request, also one a foreign page makes; there the session-id handshake guards.
 * - A valid key always passes. A wrong one is counted per address; over the limit it is answered
 *   429 instead of 401 (see FailureLimiter). A request without a key is not a guess (clients that
 *   negotiate auth send one first) and is not counted.
 * - State-changing requests (POST/PUT/PATCH/DELETE) with a body a form could send
 *   (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data` except on upload
 *   routes) are refused with 415, so nothing depends on the key check alone.
 */
const auth: FastifyPluginCallback<AuthOptions> = (app, { verifyApiKey, limiter }, done) => {
  app.decorate('verifyApiKey', verifyApiKey);

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.public) return;
    if (config.signedUrl?.(request)) return;
    const given = presentedCredential(request.headers);
    const ip = request.ip;
    if (given?.scheme === 'basic' && !config.transmission) {
      // Not checked (no answer tells whether it was right) and not counted: not a guess here.
      request.log.debug({ url: request.url, ip }, 'Basic auth outside the Transmission endpoint refused');
      return refuse(
        request,
        reply,
        401,
        `unauthorized: Basic auth is accepted only on /transmission/rpc (${HOW})`,
      );
    }
    if (given !== null && verifyApiKey(given.key)) return;
    if (given === null) {
      request.log.debug({ url: request.url, ip }, 'request without an API key refused');
      return refuse(request, reply, 401, `unauthorized: missing API key (${HOW})`);
    }
    const { failures, blockedFor } = limiter.fail(ip);
    // The first `max` wrong keys of a window are 401s, the ones after them 429s.
    if (blockedFor === null || failures <= limiter.max) {
      request.log.info({ url: request.url, ip, failures }, 'wrong API key refused');
      return refuse(request, reply, 401, `unauthorized: wrong API key (${HOW})`);
    }
    // One warning when an address reaches its limit, then one per WARN_EVERY failures: a guesser
    // cannot flood the log.
    if (failures === limiter.max + 1 || failures % WARN_EVERY === 0) {
      request.log.warn(
        { ip, failures, retryAfter: blockedFor },
        'too many wrong API keys from this address: answering 429 (a valid key still passes)',
      );
    } else {
      request.log.debug({ url: request.url, ip, failures }, 'wrong API key refused (429)');
    }
    return refuse(
      request,
      reply,
      429,
      `too many failed authentications: retry in ${blockedFor} s`,
      blockedFor,
    );
  });

  // After authentication: an unauthenticated caller learns nothing from a 415.
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.public || config.transmission) return;
    const risk = crossOriginRisk(request.method, request.headers, { multipart: config.multipart });
    if (risk !== null) return refuse(request, reply, 415, `unsupported media type: ${risk}`);
  });
  done();
};
Object.assign(auth, { [Symbol.for('skip-override')]: true });

export default auth;
