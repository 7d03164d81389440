import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Bus, EngineRegistry, ServiceHost, serviceNames, xmpp as contracts } from '@bitween/messages';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import { loadGatewayConfig } from './config.js';
import { Gateway } from './gateway.js';
import { BITWEEN_DISCO } from './protocol/caps.js';
import { XmppSession } from './xmpp/session.js';

const version = packageVersion(import.meta.url);
/** For Api.versions: the XMPP library's version, from its package.json. */
const xmppClientVersion = packageVersion(
  pathToFileURL(createRequire(import.meta.url).resolve('@xmpp/client')).href,
  './package.json',
);

await runService({
  name: 'xmpp-gateway',
  log: () => createLogger('xmpp-gateway', process.env.BITWEEN_LOG_LEVEL ?? 'info'),
  start: async (log) => {
    const config = loadGatewayConfig();
    const { bare, local, domain } = config.BITWEEN_XMPP_JID;
    log.info({ jid: bare, resource: config.BITWEEN_XMPP_RESOURCE, version }, 'starting');

    const nc = await connectNats(config.BITWEEN_NATS_URL, `xmpp-gateway/${bare}`, log);
    const bus = new Bus(nc, log);
    const registry = await EngineRegistry.open(nc, log);

    const session = new XmppSession({
      service: config.BITWEEN_XMPP_SERVICE ?? domain,
      domain,
      username: local,
      password: config.BITWEEN_XMPP_PASSWORD,
      resource: config.BITWEEN_XMPP_RESOURCE,
      disco: BITWEEN_DISCO,
      log,
    });
    const gateway = new Gateway({
      session,
      bus,
      registry,
      log,
      engineCheckMs: config.BITWEEN_ENGINE_CHECK_MS,
    });

    const host = await ServiceHost.start(bus, {
      name: serviceNames.gateway,
      version,
      description: 'bitween XMPP gateway',
      metadata: {
        jid: bare,
        resource: config.BITWEEN_XMPP_RESOURCE,
        xmppClient: xmppClientVersion,
        node: process.version,
      },
    });
    host.serve(contracts.shares, () => ({ contacts: gateway.index.snapshot() }));
    host.serve(contracts.status, () => gateway.status());

    await gateway.start();

    return async () => {
      await host.stop();
      await gateway.stop();
      await nc.drain();
    };
  },
});
