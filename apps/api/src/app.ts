import type { Bus } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiConfig } from './config.js';
import auth, { tokenMatches } from './plugins/auth.js';
import { SharesView, TorrentsView } from './cluster/views.js';
import metrics from './metrics/plugin.js';
import health from './routes/health.js';
import rpcRoutes from './routes/rpc.js';
import type { Registry } from './rpc/method.js';
import { allMethods } from './rpc/methods.js';
import { RpcHandler } from './rpc/server.js';
import transmission from './transmission/plugin.js';

export interface AppDeps {
  bus: Bus;
  registry: Registry;
  log: Logger;
  config: ApiConfig;
  /** bitween's version, reported by `Api.versions`. */
  version: string;
}

/** The HTTP app, not listening: `main` listens, tests use `app.inject()`. */
export async function buildApp({ bus, registry, log, config, version }: AppDeps): Promise<FastifyInstance> {
  // Typed as fastify's base logger so the instance (and its plugins) keep fastify's default types.
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    // One line per request at info is noise for a local API; rpc calls are logged at debug.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  const viewDeps = {
    bus,
    log,
    timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    maxAgeMs: config.BITWEEN_API_CACHE_MS,
  };
  const views = { torrents: new TorrentsView({ ...viewDeps, registry }), shares: new SharesView(viewDeps) };
  app.addHook('onClose', () => {
    views.torrents.stop();
    views.shares.stop();
  });
  const rpc = new RpcHandler(allMethods({ bus, registry, log, config, version, views }), log);

  await app.register(auth, { token: config.BITWEEN_API_TOKEN });
  // Before the routes: its onResponse hook counts every request.
  await app.register(metrics, { bus, registry, log, timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS });
  await app.register(health, { bus, registry, timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS });
  await app.register(rpcRoutes, { rpc });
  const token = config.BITWEEN_API_TOKEN;
  await app.register(transmission, {
    bus,
    registry,
    log,
    timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    addTimeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    version,
    torrents: views.torrents,
    // Basic auth with the api token as the password (the user name is ignored).
    verify: token === undefined ? undefined : (password: string) => tokenMatches(token, password),
  });
  return app;
}
