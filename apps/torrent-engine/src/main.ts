import { networkInterfaces } from 'node:os';
import path from 'node:path';
import {
  Bus,
  EngineRegistry,
  ServiceHost,
  SettingsStore,
  engine as contracts,
  serviceNames,
  type EngineState,
} from '@bitween/messages';
import { connectNats, createLogger, packageVersion, runService } from '@bitween/runtime';
import WebTorrent from 'webtorrent';
import { announceAddresses, detectAddresses } from './addresses.js';
import { Announcer } from './announcer.js';
import { loadEngineConfig } from './config.js';
import { TorrentEngine } from './engine.js';
import { followPeers, publishLifecycle, serveCommands } from './handlers.js';
import { isInside } from './paths.js';
import { ProgressTracker } from './progress.js';
import { StateStore } from './state-store.js';
import { WatchFolder } from './watch-folder.js';

const version = packageVersion(import.meta.url);

await runService({
  name: 'torrent-engine',
  log: () => createLogger('torrent-engine', process.env.BITWEEN_LOG_LEVEL ?? 'info'),
  start: async (log) => {
    const config = loadEngineConfig();
    const engineId = config.BITWEEN_ENGINE_ID;
    log.info({ engineId, version, webtorrent: WebTorrent.VERSION }, 'starting');

    const nc = await connectNats(config.BITWEEN_NATS_URL, `torrent-engine/${engineId}`, log);
    const bus = new Bus(nc, log);
    const registry = await EngineRegistry.open(nc, log);
    const watchDir = config.BITWEEN_WATCH_DIR;
    const roots = config.BITWEEN_ALLOWED_PATHS;
    if (
      watchDir &&
      roots.length > 0 &&
      !roots.some((r) => isInside(path.resolve(r), path.resolve(watchDir)))
    ) {
      throw new Error('BITWEEN_WATCH_DIR must be inside BITWEEN_ALLOWED_PATHS');
    }
    const settings = await SettingsStore.open(nc, log);

    const stateDir = path.join(config.BITWEEN_STATE_DIR, engineId);
    const store = new StateStore(stateDir, log);
    const engine = await TorrentEngine.start({
      engineId,
      downloadDir: config.BITWEEN_DOWNLOAD_DIR,
      allowedPaths: config.BITWEEN_ALLOWED_PATHS,
      ports: config.BITWEEN_TORRENT_PORT,
      store,
      log,
      settings: await settings.engine(),
    });
    const stopSettings = await settings.watchEngine((s) => engine.applySettings(s));

    const families = { ipv4: config.BITWEEN_ANNOUNCE_IPV4, ipv6: config.BITWEEN_ANNOUNCE_IPV6 };
    const addresses = announceAddresses(
      config.BITWEEN_ANNOUNCE_ADDRESSES,
      () => detectAddresses(networkInterfaces(), families),
      families,
    );
    if (addresses.length === 0)
      log.warn('no address to announce: friends cannot connect (set BITWEEN_ANNOUNCE_ADDRESSES)');
    log.info({ addresses, port: engine.port }, 'announcing');

    const state = (): EngineState => ({
      engineId,
      version,
      endpoints: addresses.map((address) => ({ address, port: engine.port })),
      torrents: engine.summary(),
      heartbeatMs: config.BITWEEN_HEARTBEAT_MS,
    });
    const announcer = new Announcer(registry, state, log);
    engine.on('changed', () => announcer.changed());
    announcer.start(config.BITWEEN_HEARTBEAT_MS);

    const host = await ServiceHost.start(bus, {
      name: serviceNames.engine,
      version,
      description: 'bitween BitTorrent engine',
      metadata: { engineId, webtorrent: WebTorrent.VERSION, node: process.version },
    });
    serveCommands(host, engine);
    publishLifecycle(bus, engine);
    engine.announceRestored();
    const peers = followPeers(bus, engine);

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
      for (const p of tracker.due(engine.list())) bus.publish(contracts.progress, p, { hash: p.hash });
    }, config.BITWEEN_PROGRESS_INTERVAL_MS);
    const redialTimer = setInterval(() => engine.redial(), config.BITWEEN_RECONNECT_MS);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        clearInterval(progressTimer);
        clearInterval(redialTimer);
        await watchFolder?.stop();
        stopSettings();
        peers.unsubscribe();
        await host.stop();
        await announcer.stop();
        await engine.stop();
        await nc.drain();
      })());
    engine.on('fatal', (err) => {
      log.error({ err }, 'stopping: the BitTorrent client failed');
      void stop().finally(() => process.exit(1));
    });
    return stop;
  },
});
