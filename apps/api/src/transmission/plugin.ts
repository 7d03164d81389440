import { randomBytes } from 'node:crypto';
import type { DialPolicy } from '@bitween/net-policy';
import type { Logger } from '@bitween/runtime';
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../core/index.js';
import { MAX_METAINFO_BYTES } from '../core/torrents.js';
import { PROBLEM_TYPE, problem, type ProblemCode } from '../problem.js';
import type { TrDeps } from './method-context.js';
import { trMethods } from './methods.js';
import { RecentlyRemoved } from './recently-removed.js';
import { TrError, TrRequest, failure, success, trErrorOf } from './protocol.js';

export const TRANSMISSION_PATH = '/transmission/rpc';
export const SESSION_HEADER = 'x-transmission-session-id';
const READ_ONLY = new Set(['torrent-get', 'session-get', 'session-stats']);

export interface TransmissionOptions {
  core: Pick<Core, 'torrents' | 'settings' | 'torrentIds'>;
  log: Logger;
  /** Timeout of fetching a .torrent from a URL. */
  addTimeoutMs: number;
  version: string;
  /** Where `torrent-add` may fetch URLs from. */
  fetchPolicy: DialPolicy;
}

/**
 * Transmission RPC at `POST /transmission/rpc` (and `/transmission/rpc/`, which
 * `transmission-remote` uses), for existing Transmission frontends. Encapsulated: its own body
 * parser and the `X-Transmission-Session-Id` handshake (409 until the client echoes the id: the
 * CSRF guard every Transmission client implements, enforced on every POST whatever the method,
 * and a 409 carries no data). Authentication is the app-wide API-key hook: frontends send Basic
 * auth with the key as the password, which only this endpoint accepts (browsers resend remembered
 * Basic credentials on their own, so the handshake is what keeps a foreign page out); a 401 here
 * asks for Basic. It runs before the handshake, as in Transmission.
 *
 * The session id is random per api process: after an api restart (or when a load balancer
 * switches instances) a client gets one 409 and carries on with the new id.
 */
const transmission: FastifyPluginCallback<TransmissionOptions> = (app, opts, done) => {
  const sessionId = randomBytes(24).toString('base64url');
  const removed = new RecentlyRemoved();
  const { torrents, settings, torrentIds: ids } = opts.core;
  const deps: TrDeps = {
    torrents,
    settings,
    ids,
    log: opts.log,
    addTimeoutMs: opts.addTimeoutMs,
    version: opts.version,
    sessionId,
    removed,
    fetchPolicy: opts.fetchPolicy,
  };

  // Removals by anyone (another frontend, the REST api, the JSON-RPC) for `recently-active`.
  const unsubscribe = torrents.onRemoved((hash) => {
    ids.idsOf([hash]).then(
      (known) => {
        const id = known.get(hash);
        if (id !== undefined) removed.add(id);
      },
      (err: unknown) => opts.log.debug({ err, hash }, 'transmission: no id for a removed torrent'),
    );
  });
  app.addHook('onClose', unsubscribe);

  app.removeAllContentTypeParsers();
  // Frontends send JSON with all sorts of Content-Types (curl's form default, text/plain…).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  /**
   * An HTTP-level refusal (not a method's error): a problem+json like the rest of the api, with
   * Transmission's `result` member too, for clients that only read that.
   */
  const refuse = (reply: FastifyReply, status: number, code: ProblemCode, detail: string) =>
    reply
      .code(status)
      .type(PROBLEM_TYPE)
      .send({
        ...problem(status, code, detail, { instance: TRANSMISSION_PATH }),
        result: detail,
        arguments: {},
      });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'transmission rpc failed');
    const code: ProblemCode =
      status === 413 ? 'payload_too_large' : status < 500 ? 'bad_request' : 'internal';
    await refuse(reply, status, code, status < 500 ? error.message : 'internal error');
  });

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers[SESSION_HEADER] !== sessionId) {
      // Clients read only the header; the body says what to do for people, without the id
      // itself (a body is easier to get at than a header a CORS response does not expose) and
      // without any data: nothing ran.
      return refuse(
        reply.header('X-Transmission-Session-Id', sessionId),
        409,
        'conflict',
        "missing or stale X-Transmission-Session-Id: send this response's X-Transmission-Session-Id header with the request",
      );
    }
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let json: unknown;
    try {
      json = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch (err) {
      return refuse(reply, 400, 'bad_request', `invalid JSON: ${(err as Error).message}`);
    }
    const parsed = TrRequest.safeParse(json);
    if (!parsed.success) {
      return refuse(
        reply,
        400,
        'bad_request',
        `invalid request: ${parsed.error.issues[0]?.message ?? 'not a request'}`,
      );
    }
    const { method, arguments: args, tag } = parsed.data;
    const run = Object.hasOwn(trMethods, method) ? trMethods[method] : undefined;
    if (!run) return reply.send(failure('method name not recognized', tag));
    const started = performance.now();
    try {
      const result = await run(args ?? {}, deps).finally(() => {
        // Whatever a mutation did (also a partial failure), the cached listing may be wrong now.
        if (!READ_ONLY.has(method)) torrents.invalidate();
      });
      request.log.debug(
        { transmission: method, ms: Math.round(performance.now() - started) },
        'transmission call',
      );
      return reply.send(success(result, tag));
    } catch (thrown) {
      // The core's errors are mapped in one place (protocol.ts `trErrorOf`).
      const err = trErrorOf(thrown, method);
      if (err instanceof TrError) {
        request.log.debug({ transmission: method, error: err.message }, 'transmission call failed');
        return reply.send(failure(err.message, tag));
      }
      request.log.error({ err, transmission: method }, 'transmission method failed (bug)');
      return reply.send(failure('internal error', tag));
    }
  };

  // The app-wide API-key hook authenticates first (the only route that takes Basic; a 401 asks
  // for it), then the handshake.
  const config = { transmission: true };
  const routeOptions = {
    config,
    onRequest: guard,
    // A .torrent of up to MAX_METAINFO_BYTES, base64 (4/3) inside JSON.
    bodyLimit: Math.ceil((MAX_METAINFO_BYTES * 4) / 3) + 64 * 1024,
  };
  for (const url of [TRANSMISSION_PATH, `${TRANSMISSION_PATH}/`]) {
    app.post(url, routeOptions, handler);
    // A GET (a browser opening the URL) gets the handshake answer too, never an action.
    app.get(url, { config, onRequest: guard }, async (_request, reply) =>
      refuse(reply.header('allow', 'POST'), 405, 'method_not_allowed', 'Transmission RPC takes POST'),
    );
  }
  done();
};

export default transmission;
