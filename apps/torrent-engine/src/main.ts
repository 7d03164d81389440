import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import {
  engine as contracts,
  serviceNames,
  xmpp,
  type EngineEntry,
  type PortMappingStatus,
} from '@bitween/messages';
import {
  Bus,
  EngineLease,
  EngineRegistry,
  FriendAddressesStore,
  ServiceHost,
  SettingsStore,
  TorrentClaims,
} from '@bitween/bus';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import WebTorrent from 'webtorrent';
import { announceAddresses, announcedEndpoints, detectAddresses } from './addresses.js';
import { RegistryHeartbeat } from './registry-heartbeat.js';
import { loadEngineConfig, shareRoots } from './config.js';
import { TorrentEngine } from './engine.js';
import { DialGuard } from './dial-guard.js';
import { tuneGarbageCollector } from './gc-tuning.js';
import { IceServersWatch } from './ice-servers.js';
import { preferStableIPv6, readIpv6Flags } from './ipv6-address-flags.js';
import { NetworkCheck } from './network-check.js';
import { followFriendAddresses, followPeers, publishLifecycle, serveCommands } from './nats-adapter.js';
import { assertPatchesApplied } from './patches-applied.js';
import { isInside } from './paths.js';
import { PeerAccess } from './peer-access.js';
import { PeerFilter } from './peer-filter.js';
import { portMappingOff, startPinholes, startPortMapping } from './port-mapping/start.js';
import { natsPlacement } from './placement/placement.js';
import { slotPort } from './placement/ports.js';
import { Takeover } from './placement/takeover.js';
import { ProgressTracker } from './progress.js';
import { ReachabilityTracker } from './reachability.js';
import { StateStore } from './state-store.js';
import { WatchFolder } from './watch-folder.js';

const version = packageVersion(import.meta.url);

// Before any transfer: how buffers are collected (see gc-tuning.ts).
tuneGarbageCollector();

await runService({
  name: 'torrent-engine',
  log: () => createLogger('torrent-engine', process.env.BITWEEN_LOG_LEVEL ?? 'info'),
  start: async (log) => {
    // Refuse to run without the dependency patches (patches/README.md), naming the fix.
    assertPatchesApplied();
    const config = loadEngineConfig();
    if (!config.BITWEEN_SHARE_ROOTS && config.BITWEEN_ALLOWED_PATHS)
      log.warn('BITWEEN_ALLOWED_PATHS is deprecated: rename it to BITWEEN_SHARE_ROOTS');
    const roots = shareRoots(config);
    const nc = await connectNats(
      config.BITWEEN_NATS_URL,
      `torrent-engine/${config.BITWEEN_ENGINE_ID ?? 'auto'}`,
      log,
      config.BITWEEN_NATS_NKEY_SEED_FILE,
    );
    const bus = new Bus(nc, log);
    // Liveness only: the engine needs no copy of the other engines' torrents.
    const registry = await EngineRegistry.open(nc, log, { torrents: false });
    const watchDir = config.BITWEEN_WATCH_DIR;
    if (watchDir && !roots.some((r) => isInside(path.resolve(r), path.resolve(watchDir)))) {
      throw new Error('BITWEEN_WATCH_DIR must be inside BITWEEN_SHARE_ROOTS or the download dir');
    }
    const settings = await SettingsStore.open(nc, log);

    // Our id: the fixed one, or the lowest free slot engine-N (a lease in the engines bucket).
    let onLost = (id: string) => log.error({ engineId: id }, 'lost our engine id to another process');
    const lease = await EngineLease.acquire({
      registry,
      fixedId: config.BITWEEN_ENGINE_ID,
      initial: (id) => ({
        engineId: id,
        version,
        endpoints: [],
        torrents: [],
        heartbeatMs: config.BITWEEN_HEARTBEAT_MS,
      }),
      log,
      onLost: (id) => onLost(id),
    });
    const engineId = lease.engineId;
    log.info({ engineId, version, webtorrent: WebTorrent.VERSION, shareRoots: roots }, 'starting');

    const claims = await TorrentClaims.open(nc, { engineId, incarnation: randomUUID() }, log);
    const filter = new PeerFilter(config.BITWEEN_PEER_FILTER === 'contacts', config.BITWEEN_PEER_ALLOW);
    // Admission by tickets on every wire, rendezvous (WebRTC, connection reversal), their counters.
    const mappedNow = { get: (): boolean => false };
    const access = new PeerAccess({ bus, filter, log, portMapped: () => mappedNow.get() });
    const dialGuard = new DialGuard({ allow: config.BITWEEN_DIAL_ALLOW, log });
    const range = config.BITWEEN_TORRENT_PORT;
    const stateDir = path.join(config.BITWEEN_STATE_DIR, engineId);
    const store = new StateStore(stateDir, log);
    const engine = await TorrentEngine.start({
      engineId,
      downloadDir: config.BITWEEN_DOWNLOAD_DIR,
      shareRoots: roots,
      ports: { ...range, preferred: slotPort(range, engineId) },
      store,
      log,
      placement: natsPlacement({ claims, registry, bus }),
      prepare: (client) => access.prepare(client),
      settings: await settings.engine(),
      encryption: config.BITWEEN_PEER_ENCRYPTION,
      dialGuard,
    });
    const stopSettings = await settings.watchEngine((s) => engine.applySettings(s));
    log.info(
      {
        peerFilter: config.BITWEEN_PEER_FILTER,
        allow: config.BITWEEN_PEER_ALLOW,
        dialAllow: config.BITWEEN_DIAL_ALLOW,
        encryption: config.BITWEEN_PEER_ENCRYPTION,
      },
      'peer connections',
    );

    const families = { ipv4: config.BITWEEN_ANNOUNCE_IPV4, ipv6: config.BITWEEN_ANNOUNCE_IPV6 };
    const readAddresses = () =>
      announceAddresses(
        config.BITWEEN_ANNOUNCE_ADDRESSES,
        // Not deprecated or tentative IPv6 addresses, nor privacy ones beside a stable one.
        () => preferStableIPv6(detectAddresses(networkInterfaces(), families), readIpv6Flags()),
        families,
      );
    const addresses = readAddresses();
    if (addresses.length === 0)
      log.warn('no address to announce: friends cannot connect (set BITWEEN_ANNOUNCE_ADDRESSES)');
    log.info({ addresses, port: engine.port }, 'announcing');
    // The router's address and granted port, announced first while the mapping holds.
    const portMapping = startPortMapping(config.BITWEEN_PORT_MAPPING, { engineId, port: engine.port, log });
    const mappingOff = portMappingOff(engine.port, Date.now());
    // IPv6 is not NATed, but the router's firewall keeps friends out: a PCP pinhole lets them in,
    // one per global IPv6 address we announce (a friend may dial any of them).
    const pinholes = startPinholes(config.BITWEEN_PORT_MAPPING, {
      engineId,
      port: engine.port,
      addresses,
      log,
    });
    // Addresses change while we run (a new public IPv4, a new IPv6 prefix): looked at again on a timer.
    const network = new NetworkCheck({
      read: readAddresses,
      initial: addresses,
      intervalMs: config.BITWEEN_ADDRESS_CHECK_MS,
      log,
      portMapping,
      pinholes,
    });
    mappedNow.get = () => portMapping?.status().state === 'mapped';
    // STUN/TURN servers the gateway offers: for WebRTC and for the reachability verdict.
    const ice = new IceServersWatch({
      ask: () => bus.request(xmpp.iceServers, {}),
      log,
      firstRetryMs: 1_000,
      retryMs: 30_000,
      refreshMs: 600_000,
    });
    const reachability = new ReachabilityTracker();
    // `pinhole`: the first one, as engines before several pinholes reported it.
    const pinholeEntry = (all: PortMappingStatus[]) =>
      all.length > 0 ? { pinhole: all[0], pinholes: all } : {};

    const entry = (): EngineEntry => ({
      engineId,
      version,
      endpoints: announcedEndpoints(network.addresses(), engine.port, portMapping?.external() ?? null),
      torrentCount: engine.torrentCount,
      heartbeatMs: config.BITWEEN_HEARTBEAT_MS,
      downloadDir: path.resolve(config.BITWEEN_DOWNLOAD_DIR),
      refusedDials: dialGuard.refused(),
      portMapping: portMapping?.status() ?? mappingOff,
      ...pinholeEntry(pinholes?.statuses() ?? []),
      connections: access.connections(),
      admission: access.admission(),
      reachability: reachability.update(
        {
          addresses: network.addresses(),
          portMapping: portMapping?.status() ?? mappingOff,
          pinholes: pinholes?.statuses() ?? [],
          ice: ice.kinds(),
          discovered: dialGuard.ownPublic(),
        },
        Date.now(),
      ),
    });
    const heartbeat = new RegistryHeartbeat(
      lease,
      entry,
      { all: () => engine.summary(), one: (hash) => engine.summaryOf(hash) },
      log,
    );
    engine.on('changed', (hash) => (hash === undefined ? heartbeat.changed() : heartbeat.changed(hash)));
    portMapping?.on('changed', () => heartbeat.changed());
    pinholes?.on('changed', () => heartbeat.changed());
    network.on('changed', () => heartbeat.changed());
    ice.on('changed', () => heartbeat.changed());
    heartbeat.start(config.BITWEEN_HEARTBEAT_MS);
    network.start();
    ice.start();

    const host = await ServiceHost.start(bus, {
      name: serviceNames.engine,
      version,
      description: 'bitween BitTorrent engine',
      metadata: { engineId, webtorrent: WebTorrent.VERSION, node: process.version },
    });
    serveCommands(host, engine);
    access.start(engine, host, () => ice.servers());
    publishLifecycle(bus, engine);
    void engine.announceRestored();
    const peers = followPeers(bus, engine, filter, (hash, jid) => access.mayDial(hash, jid));
    const stopFriendAddresses = await followFriendAddresses(
      await FriendAddressesStore.open(nc, log),
      filter,
      log,
    );

    // Torrents of engines that stop sending heartbeats move to the survivors; a torrent of ours
    // that a survivor took (we looked dead) stops here.
    const takeover = new Takeover({
      stateDir: config.BITWEEN_STATE_DIR,
      engineId,
      registry,
      claims,
      engine,
      log,
      intervalMs: Math.min(1000, config.BITWEEN_HEARTBEAT_MS),
      graceMs: config.BITWEEN_HEARTBEAT_MS,
    });
    takeover.start();
    const stopWatchingClaims = await claims.watch((hash, owner) => {
      if (engine.has(hash)) void engine.drop(hash, owner.engineId);
    });

    const watchFolder = watchDir
      ? new WatchFolder({
          dir: watchDir,
          stableMs: config.BITWEEN_WATCH_STABLE_MS,
          ledgerFile: path.join(stateDir, 'watch-folder.json'),
          share: async (p) => (await engine.addPath(p)).torrent.hash,
          addTorrent: async (metainfo) => (await engine.addTorrentFile(metainfo)).torrent.hash,
          log,
        })
      : null;
    await watchFolder?.start();

    const tracker = new ProgressTracker();
    const progressTimer = setInterval(() => {
      for (const p of tracker.dueFrom(engine.progressView()))
        bus.publish(contracts.progress, p, { hash: p.hash });
    }, config.BITWEEN_PROGRESS_INTERVAL_MS);
    const redialTimer = setInterval(() => engine.redial(), config.BITWEEN_RECONNECT_MS);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        clearInterval(progressTimer);
        clearInterval(redialTimer);
        await takeover.stop();
        stopWatchingClaims();
        await watchFolder?.stop();
        stopSettings();
        peers.unsubscribe();
        access.stop();
        stopFriendAddresses();
        await host.stop();
        ice.stop();
        network.stop();
        await Promise.all([portMapping?.stop(), pinholes?.stop()]); // the router forgets our port before we withdraw
        await heartbeat.stop();
        await engine.stop();
        await nc.drain();
      })());
    const fail = (why: string, err?: unknown) => {
      log.error({ err, engineId }, why);
      void stop().finally(() => process.exit(1));
    };
    onLost = () => fail('stopping: another process took our engine id (we were presumed dead)');
    engine.on('fatal', (err) => fail('stopping: the BitTorrent client failed', err));
    return stop;
  },
});
