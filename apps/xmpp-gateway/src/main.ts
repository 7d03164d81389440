import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { Bus, EngineRegistry, ServiceHost, serviceNames, xmpp as contracts } from '@bitween/messages';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import { loadGatewayConfig } from './config.js';
import { AddressDiscovery } from './discovery/public-address.js';
import { sharesPage } from './domain/shares-pages.js';
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

    if (config.BITWEEN_XMPP_TLS_CA_FILE) {
      // Trust this PEM (e.g. a home server's self-signed certificate) besides the system's CAs.
      // Verification stays on: the certificate must still name the XMPP domain.
      const pem = readFileSync(config.BITWEEN_XMPP_TLS_CA_FILE, 'utf8');
      tls.setDefaultCACertificates([...tls.getCACertificates('default'), pem]);
      log.info({ file: config.BITWEEN_XMPP_TLS_CA_FILE }, 'trusting an extra certificate for XMPP TLS');
    }

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
      autoApprove: config.BITWEEN_XMPP_AUTO_APPROVE,
      maxStanzaBytes: config.BITWEEN_XMPP_MAX_STANZA_BYTES,
    });
    const discovery = new AddressDiscovery({
      configured: config.BITWEEN_PUBLIC_ADDRESSES,
      ...(config.BITWEEN_STUN_SERVER ? { stunServer: config.BITWEEN_STUN_SERVER } : {}),
      stunTimeoutMs: config.BITWEEN_STUN_TIMEOUT_MS,
      stunIntervalMs: config.BITWEEN_STUN_INTERVAL_MS,
      log,
      onChange: (addresses) => gateway.setExtraAddresses(addresses),
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
    host.serve(contracts.shares, ({ cursor }) => sharesPage(gateway.index, cursor, nc.info?.max_payload));
    host.serve(contracts.status, () => gateway.status());
    host.serve(contracts.contacts, () => ({ contacts: gateway.contacts() }));
    host.serve(contracts.subscriptions, () => ({ pending: gateway.pending.list() }));
    host.serve(contracts.approve, ({ jid }) => gateway.approve(jid));
    host.serve(contracts.deny, ({ jid }) => gateway.deny(jid));

    await gateway.start();
    discovery.start(); // in the background: start-up never waits for the network

    return async () => {
      discovery.stop();
      await host.stop();
      await gateway.stop();
      await nc.drain();
    };
  },
});
