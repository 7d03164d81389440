import { Bus, EngineRegistry } from '@bitween/messages';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import { buildApp } from './app.js';
import { isLoopback, loadApiConfig, logLevelFrom } from './config.js';

await runService({
  name: 'api',
  // The logger exists before the config is loaded (so config errors are reported through it):
  // take the level if it is valid, else start at info and let loadApiConfig name the problem.
  log: () => createLogger('api', logLevelFrom(process.env)),
  start: async (log) => {
    const config = loadApiConfig();
    if (!config.BITWEEN_API_TOKEN && !isLoopback(config.BITWEEN_API_HOST)) {
      log.warn(
        { host: config.BITWEEN_API_HOST },
        'the api listens beyond loopback without BITWEEN_API_TOKEN: anyone who reaches it can share paths of this host',
      );
    }
    const nc = await connectNats(config.BITWEEN_NATS_URL, 'bitween-api', log);
    try {
      const bus = new Bus(nc, log);
      const registry = await EngineRegistry.open(nc, log);
      const app = await buildApp({ bus, registry, log, config, version: packageVersion(import.meta.url) });
      const address = await app.listen({ host: config.BITWEEN_API_HOST, port: config.BITWEEN_API_PORT });
      log.info({ address, auth: config.BITWEEN_API_TOKEN ? 'bearer' : 'none' }, 'api listening');
      return async () => {
        await app.close();
        await nc.drain();
      };
    } catch (err) {
      await nc.close();
      throw err;
    }
  },
});
