import { Bus, EngineRegistry, SettingsStore } from '@bitween/bus';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import { buildApp, coreTimings } from './app.js';
import { loadOrCreateApiKey } from './auth/api-key.js';
import { isLoopback, loadApiConfig, logLevelFrom } from './config.js';
import { EventLog } from './core/event-log.js';
import { createCore } from './core/index.js';

await runService({
  name: 'api',
  // The logger exists before the config is loaded (so config errors are reported through it):
  // take the level if it is valid, else start at info and let loadApiConfig name the problem.
  log: () => createLogger('api', logLevelFrom(process.env)),
  start: async (log) => {
    const config = loadApiConfig();
    const apiKey = await loadOrCreateApiKey(config.BITWEEN_DATA_DIR, config.BITWEEN_API_TOKEN);
    if (apiKey.replaced) {
      log.warn(
        { file: apiKey.path, revoked: `${apiKey.path}.revoked`, reason: apiKey.replaced },
        'the API key found at start-up was not safe to use: replaced it with a new one (clients need the new key)',
      );
    }
    if (apiKey.source === 'generated') {
      // Shown once, on the start that created it; afterwards read it from the file (or `bitween api-key`).
      log.info({ apiKey: apiKey.key, file: apiKey.path }, 'generated the API key (shown only this once)');
    } else {
      log.info({ source: apiKey.source, file: apiKey.path }, 'API key loaded');
    }
    if (!isLoopback(config.BITWEEN_API_HOST)) {
      log.warn(
        { host: config.BITWEEN_API_HOST },
        'the api listens beyond loopback: use TLS in front of it (a reverse proxy)',
      );
    }
    const nc = await connectNats(
      config.BITWEEN_NATS_URL,
      'bitween-api',
      log,
      config.BITWEEN_NATS_NKEY_SEED_FILE,
    );
    try {
      const bus = new Bus(nc, log);
      const registry = await EngineRegistry.open(nc, log);
      const settings = await SettingsStore.open(nc, log);
      const events = await EventLog.open(nc, log, {
        maxAgeMs: config.BITWEEN_EVENTS_MAX_AGE_MS,
        maxEvents: config.BITWEEN_EVENTS_MAX_COUNT,
        maxBytes: config.BITWEEN_EVENTS_MAX_BYTES,
      });
      const core = createCore({ bus, registry, settings, events, log, ...coreTimings(config) });
      const app = await buildApp({
        core,
        log,
        config,
        version: packageVersion(import.meta.url),
        apiKey: apiKey.key,
      });
      const address = await app.listen({ host: config.BITWEEN_API_HOST, port: config.BITWEEN_API_PORT });
      log.info({ address, cors: config.BITWEEN_API_CORS_ORIGINS }, 'api listening');
      return async () => {
        await app.close();
        core.stop();
        await nc.drain();
      };
    } catch (err) {
      await nc.close();
      throw err;
    }
  },
});
