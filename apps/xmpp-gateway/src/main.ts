import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { serviceNames } from '@bitween/messages';
import { Bus, EngineRegistry, FriendAddressesStore, ServiceHost, ShareVisibilityStore } from '@bitween/bus';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import { configuredIceServers, loadGatewayConfig } from './config.js';
import { AccountFile } from './account/account-file.js';
import { ActiveGateway, type ActiveAccount } from './account/active-gateway.js';
import { IceServerSource } from './discovery/ice-servers.js';
import { AddressDiscovery } from './discovery/public-address.js';
import { VisibilityView } from './domain/visibility-view.js';
import { FriendAddressAllowlist } from './friends/address-allowlist.js';
import { loadOrCreateSecret } from './rendezvous/ticket-secret.js';
import { serveGatewaySubjects } from './nats-adapter.js';
import { assertPatchesApplied } from './patches-applied.js';

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
    // Refuse to run without the XMPP library's patches (patches/README.md), naming the fix.
    assertPatchesApplied();
    const config = loadGatewayConfig();
    const envJid = config.BITWEEN_XMPP_JID;
    log.info({ jid: envJid?.bare ?? null, resource: config.BITWEEN_XMPP_RESOURCE, version }, 'starting');

    if (config.BITWEEN_XMPP_TLS_CA_FILE) {
      // Trust this PEM (e.g. a home server's self-signed certificate) besides the system's CAs.
      // Verification stays on: the certificate must still name the XMPP domain.
      const pem = readFileSync(config.BITWEEN_XMPP_TLS_CA_FILE, 'utf8');
      tls.setDefaultCACertificates([...tls.getCACertificates('default'), pem]);
      log.info({ file: config.BITWEEN_XMPP_TLS_CA_FILE }, 'trusting an extra certificate for XMPP TLS');
    }

    // The account: from the environment, else the one set at run time (onboarding), else none
    // yet (the gateway runs and waits for `xmpp.account.set`).
    const accountFile = new AccountFile(config.BITWEEN_DATA_DIR);
    let account: ActiveAccount | null = null;
    if (envJid && config.BITWEEN_XMPP_PASSWORD) {
      account = {
        source: 'environment',
        settings: {
          jid: envJid.bare,
          password: config.BITWEEN_XMPP_PASSWORD,
          ...(config.BITWEEN_XMPP_SERVICE ? { service: config.BITWEEN_XMPP_SERVICE } : {}),
        },
      };
    } else {
      const stored = await accountFile.load();
      if (stored.kind === 'account') account = { source: 'setup', settings: stored.account };
      else if (stored.kind === 'invalid')
        log.error({ reason: stored.reason }, 'the stored XMPP account cannot be used; set it again');
      if (!account)
        log.warn(
          { file: accountFile.path },
          'no XMPP account configured: waiting for one (web UI, PUT /v1/account, or BITWEEN_XMPP_JID and BITWEEN_XMPP_PASSWORD)',
        );
    }
    const jid = account?.settings.jid.toLowerCase() ?? '';

    const nc = await connectNats(
      config.BITWEEN_NATS_URL,
      `xmpp-gateway/${jid || 'unconfigured'}`,
      log,
      config.BITWEEN_NATS_NKEY_SEED_FILE,
    );
    const bus = new Bus(nc, log);
    // The ticket secret (rendezvous, admission): made once, kept in the data dir.
    const { secret, created } = await loadOrCreateSecret(config.BITWEEN_DATA_DIR);
    if (created)
      log.info({ dir: config.BITWEEN_DATA_DIR }, 'made a new rendezvous secret (contacts get new tickets)');
    const registry = await EngineRegistry.open(nc, log);
    // The addresses friends' lists announce, for the engines' admission (friends/address-allowlist.ts).
    const allowlist = new FriendAddressAllowlist({ store: await FriendAddressesStore.open(nc, log), log });
    // Which roster groups see each share (set over the api), followed from its KV bucket.
    const visibility = new VisibilityView();
    const unfollowVisibility = await (
      await ShareVisibilityStore.open(nc, log)
    ).watch((v) => visibility.set(v));

    const discovery = new AddressDiscovery({
      configured: config.BITWEEN_PUBLIC_ADDRESSES,
      ...(config.BITWEEN_STUN_SERVER ? { stunServer: config.BITWEEN_STUN_SERVER } : {}),
      stunTimeoutMs: config.BITWEEN_STUN_TIMEOUT_MS,
      stunIntervalMs: config.BITWEEN_STUN_INTERVAL_MS,
      log,
      onChange: (addresses) => active.setExtraAddresses(addresses),
    });
    const iceServers = new IceServerSource({
      configured: configuredIceServers(config),
      log,
      onStunServer: (server) => discovery.useStunServer(server),
    });
    const active: ActiveGateway = new ActiveGateway({
      bus,
      registry,
      log,
      resource: config.BITWEEN_XMPP_RESOURCE,
      bulkSession: config.BITWEEN_XMPP_BULK_SESSION,
      gateway: {
        engineCheckMs: config.BITWEEN_ENGINE_CHECK_MS,
        autoApprove: config.BITWEEN_XMPP_AUTO_APPROVE,
        listCheckMs: config.BITWEEN_XMPP_LIST_CHECK_MS,
        maxStanzaBytes: config.BITWEEN_XMPP_MAX_STANZA_BYTES,
        upload: {
          ...(config.BITWEEN_XMPP_UPLOAD_BYTES_PER_S === undefined
            ? {}
            : { bytesPerSecond: config.BITWEEN_XMPP_UPLOAD_BYTES_PER_S }),
          ...(config.BITWEEN_XMPP_UPLOAD_BURST_BYTES === undefined
            ? {}
            : { burstBytes: config.BITWEEN_XMPP_UPLOAD_BURST_BYTES }),
        },
        rendezvous: { secret },
        visibility,
        dataDir: config.BITWEEN_DATA_DIR,
      },
      save: (settings) => accountFile.save(settings),
      onSession: (session) => {
        iceServers.attach(session);
        allowlist.follow(active.gateway?.index ?? null);
      },
    });

    const host = await ServiceHost.start(bus, {
      name: serviceNames.gateway,
      version,
      description: 'bitween XMPP gateway',
      metadata: {
        jid,
        resource: config.BITWEEN_XMPP_RESOURCE,
        xmppClient: xmppClientVersion,
        node: process.version,
      },
    });
    serveGatewaySubjects(host, active, iceServers);
    // The endpoints' subscriptions reach the server before we log "ready" (with no account
    // configured nothing else below waits on the connection).
    await nc.flush();

    if (account) await active.activate(account);
    discovery.start(); // in the background: start-up never waits for the network

    return async () => {
      discovery.stop();
      iceServers.stop();
      await host.stop();
      await active.stop();
      await allowlist.stop();
      unfollowVisibility();
      await nc.drain();
    };
  },
});
