import { resolve } from 'node:path';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { DialPolicy } from '@bitween/net-policy';
import type { Logger } from '@bitween/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { apiKeyVerifier } from './auth/api-key.js';
import { FailureLimiter } from './auth/failure-limiter.js';
import auth from './auth/plugin.js';
import type { ApiConfig } from './config.js';
import type { Core, CoreDeps } from './core/index.js';
import { MAX_METAINFO_BYTES } from './core/torrents.js';
import health from './health/routes.js';
import metrics from './metrics/plugin.js';
import { notFoundHandler, problemErrorHandler } from './rest/errors.js';
import { restApi } from './rest/plugin.js';
import rpcRoutes from './rpc/http.js';
import { allMethods } from './rpc/methods.js';
import { RpcHandler } from './rpc/server.js';
import { LinkSigner } from './rest/streaming/link-token.js';
import { streamingRoutes } from './rest/streaming/routes.js';
import transmission from './transmission/plugin.js';
import { hasWebBuild, webUi } from './web/plugin.js';

export interface AppDeps {
  /** The domain services every front-end calls (core/index.ts): over NATS in `main`, a fake in unit tests. */
  core: Core;
  log: Logger;
  config: ApiConfig;
  /** bitween's version, reported by `Api.versions` and `/v1/status`. */
  version: string;
  /** The API key every request but `/health` (and the docs) must carry. */
  apiKey: string;
}

/** The core's timeouts and cache age from the api's configuration (for `createCore`). */
export function coreTimings(config: ApiConfig): Pick<CoreDeps, 'timeoutMs' | 'addPathTimeoutMs' | 'cacheMs'> {
  return {
    timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    addPathTimeoutMs: config.BITWEEN_ADD_PATH_TIMEOUT_MS,
    cacheMs: config.BITWEEN_API_CACHE_MS,
  };
}

/** Routes reachable without the key: the documentation (the same schema as in the repository). */
const PUBLIC_PREFIXES = ['/docs', '/openapi.json'];

/** The HTTP app, not listening: `main` listens, tests use `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { core, log, config, version } = deps;
  // Typed as fastify's base logger so the instance (and its plugins) keep fastify's default types.
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    // One line per request at info is noise for a local API; rpc calls are logged at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRoute', (route) => {
    if (PUBLIC_PREFIXES.some((p) => route.url.startsWith(p)))
      route.config = { ...route.config, public: true };
  });

  if (config.BITWEEN_API_CORS_ORIGINS.length > 0) {
    const any = config.BITWEEN_API_CORS_ORIGINS.includes('*');
    await app.register(cors, {
      origin: any ? '*' : config.BITWEEN_API_CORS_ORIGINS,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'last-event-id'],
      maxAge: 600,
    });
  }
  await app.register(auth, {
    verifyApiKey: apiKeyVerifier(deps.apiKey),
    limiter: new FailureLimiter({
      max: config.BITWEEN_AUTH_MAX_FAILURES,
      windowMs: config.BITWEEN_AUTH_WINDOW_MS,
    }),
  });

  // Before the routes: its onResponse hook counts every request.
  await app.register(metrics, { daemon: core.daemon });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'bitween API',
        version,
        description:
          'Friend-to-friend file sharing daemon. Every request but GET /health, /health/live and ' +
          '/health/ready needs the API key (X-API-Key or Authorization: Bearer; Basic only on ' +
          '/transmission/rpc). POST/PUT/PATCH/DELETE bodies must not be text/plain or ' +
          'form-encoded (415). Errors are application/problem+json (RFC 9457).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
        schemas: {
          // Constants a client checks before it sends (the web UI's types are generated from this).
          Limits: {
            type: 'object',
            description: "the api's fixed limits",
            properties: {
              torrentFileBytes: {
                type: 'integer',
                const: MAX_METAINFO_BYTES,
                description: 'a .torrent file (upload, metainfo) is at most this many bytes',
              },
            },
            required: ['torrentFileBytes'],
          },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
      tags: [
        { name: 'torrents', description: 'own torrents: shared and downloading' },
        { name: 'shares', description: "friends' shares" },
        { name: 'contacts', description: 'XMPP contacts and subscription requests' },
        { name: 'events', description: 'live events' },
        { name: 'daemon', description: 'settings and status' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register(restApi({ ...core, version }), { prefix: '/v1' });
  await app.register(
    streamingRoutes({
      torrents: core.torrents,
      daemon: core.daemon,
      log,
      signer: new LinkSigner(deps.apiKey),
    }),
    { prefix: '/v1' },
  );

  const rpc = new RpcHandler(allMethods({ ...core, log, version }), log);
  await app.register(health, { daemon: core.daemon, timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS });
  await app.register(rpcRoutes, { rpc });
  // Authenticated by the app-wide API-key hook (Basic with the key as password, as Transmission
  // frontends send it); the 409 session handshake is the plugin's own.
  await app.register(transmission, {
    core,
    log,
    addTimeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    version,
    fetchPolicy: new DialPolicy(config.BITWEEN_FETCH_ALLOW),
  });

  const webDir = config.BITWEEN_WEB_DIR;
  if (webDir !== 'off') {
    if (await hasWebBuild(webDir)) await app.register(webUi, { dir: resolve(webDir) });
    else log.warn({ dir: webDir }, 'no web UI here (build apps/web or set BITWEEN_WEB_DIR): / is not served');
  }
  return app;
}
