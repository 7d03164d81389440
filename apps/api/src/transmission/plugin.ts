import { randomBytes } from 'node:crypto';
import { SettingsStore, engine, type Bus } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { TorrentsView } from '../cluster/views.js';
import type { Registry } from '../rpc/method.js';
import { TorrentIds } from './ids.js';
import { MAX_METAINFO_BYTES, RecentlyRemoved, trMethods, type TrDeps } from './methods.js';
import { TrError, TrRequest, failure, success } from './protocol.js';

export const TRANSMISSION_PATH = '/transmission/rpc';
export const SESSION_HEADER = 'x-transmission-session-id';
const READ_ONLY = new Set(['torrent-get', 'session-get', 'session-stats']);

export interface TransmissionOptions {
  bus: Bus;
  registry: Registry;
  log: Logger;
  timeoutMs: number;
  addTimeoutMs: number;
  version: string;
  /** The cached torrent listing; every action here invalidates it. */
  torrents: TorrentsView;
  /**
   * Checks the password of HTTP Basic auth (the user name is ignored: frontends need one, any
   * will do). Undefined = no authentication (loopback without an api key).
   */
  verify?: ((password: string) => boolean) | undefined;
}

/** `Authorization: Basic base64(user:password)` → password, or null. */
export function basicPassword(header: string | undefined): string | null {
  const m = header ? /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header) : null;
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Open a NATS-backed resource on first use; a failed open is retried on the next call. */
function lazy<T>(open: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= open().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/**
 * Transmission RPC at `POST /transmission/rpc` (and `/transmission/rpc/`, which
 * `transmission-remote` uses), for existing Transmission frontends. Encapsulated: its own body
 * parser, Basic auth and the `X-Transmission-Session-Id` handshake (409 until the client echoes
 * the id: the CSRF guard every Transmission client implements). The bearer-token hook of the
 * rest of the api does not apply here (`config.public`); Basic auth replaces it.
 *
 * The session id is random per api process: after an api restart (or when a load balancer
 * switches instances) a client gets one 409 and carries on with the new id.
 */
const transmission: FastifyPluginCallback<TransmissionOptions> = (app, opts, done) => {
  const sessionId = randomBytes(24).toString('base64url');
  const removed = new RecentlyRemoved();
  const ids = lazy(() => TorrentIds.open(opts.bus.nc));
  const deps: TrDeps = {
    bus: opts.bus,
    registry: opts.registry,
    log: opts.log,
    timeoutMs: opts.timeoutMs,
    addTimeoutMs: opts.addTimeoutMs,
    version: opts.version,
    sessionId,
    ids,
    settings: lazy(() => SettingsStore.open(opts.bus.nc, opts.log)),
    removed,
    torrents: opts.torrents,
  };

  // Removals by anyone (another frontend, the REST api, the JSON-RPC) for `recently-active`.
  const sub = opts.bus.subscribe(engine.removed, async ({ hash }) => {
    const id = (await (await ids()).idsOf([hash])).get(hash);
    if (id !== undefined) removed.add(id);
  });
  app.addHook('onClose', () => sub.unsubscribe());

  app.removeAllContentTypeParsers();
  // Frontends send JSON with all sorts of Content-Types (curl's form default, text/plain…).
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'transmission rpc failed');
    await reply.code(status).send(failure(status < 500 ? error.message : 'internal error', undefined));
  });

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (opts.verify) {
      const password = basicPassword(request.headers.authorization);
      if (password === null || !opts.verify(password)) {
        request.log.info(
          { url: request.url, ip: request.ip },
          'transmission rpc: unauthorised request refused',
        );
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="bitween"')
          .type('text/html; charset=utf-8')
          .send('<h1>401: Unauthorized</h1>Unauthorized User');
      }
    }
    if (request.headers[SESSION_HEADER] !== sessionId) {
      return reply
        .code(409)
        .header('X-Transmission-Session-Id', sessionId)
        .type('text/html; charset=utf-8')
        .send(
          '<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p>' +
            `<p><code>X-Transmission-Session-Id: ${sessionId}</code></p>`,
        );
    }
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let json: unknown;
    try {
      json = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch (err) {
      return reply.code(400).send(failure(`invalid JSON: ${(err as Error).message}`, undefined));
    }
    const parsed = TrRequest.safeParse(json);
    if (!parsed.success) {
      return reply
        .code(400)
        .send(failure(`invalid request: ${parsed.error.issues[0]?.message ?? 'not a request'}`, undefined));
    }
    const { method, arguments: args, tag } = parsed.data;
    const run = Object.hasOwn(trMethods, method) ? trMethods[method] : undefined;
    if (!run) return reply.send(failure('method name not recognized', tag));
    const started = performance.now();
    try {
      const result = await run(args ?? {}, deps).finally(() => {
        // Whatever a mutation did (also a partial failure), the cached listing may be wrong now.
        if (!READ_ONLY.has(method)) opts.torrents.invalidate();
      });
      request.log.debug(
        { transmission: method, ms: Math.round(performance.now() - started) },
        'transmission call',
      );
      return reply.send(success(result, tag));
    } catch (err) {
      if (err instanceof TrError) {
        request.log.debug({ transmission: method, error: err.message }, 'transmission call failed');
        return reply.send(failure(err.message, tag));
      }
      request.log.error({ err, transmission: method }, 'transmission method failed (bug)');
      return reply.send(failure('internal error', tag));
    }
  };

  const routeOptions = {
    config: { public: true },
    onRequest: guard,
    // A .torrent of up to MAX_METAINFO_BYTES, base64 (4/3) inside JSON.
    bodyLimit: Math.ceil((MAX_METAINFO_BYTES * 4) / 3) + 64 * 1024,
  };
  for (const url of [TRANSMISSION_PATH, `${TRANSMISSION_PATH}/`]) {
    app.post(url, routeOptions, handler);
    // A GET (a browser opening the URL) gets the handshake answer too, never an action.
    app.get(url, { config: { public: true }, onRequest: guard }, async (_request, reply) =>
      reply.send(failure('use POST', undefined)),
    );
  }
  done();
};

export default transmission;
