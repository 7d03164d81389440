import { Bus, EngineRegistry, SettingsStore, type NatsConnection } from '@bitween/bus';
import { connectNats, type Logger } from '@bitween/runtime';
import { coreTimings, type AppDeps } from '../app.js';
import { loadApiConfig, type ApiConfig } from '../config.js';
import { EventLog, type EventLimits } from '../core/event-log.js';
import { createCore, type CoreDeps } from '../core/index.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { startPeers, type Peers } from './peers.js';

/** What the real-NATS tests hold: the NATS side of `main` (bus, registry, stores) and the app's settings. */
export interface NatsAppDeps {
  bus: Bus;
  registry: CoreDeps['registry'];
  settings: CoreDeps['settings'];
  events: EventLog;
  log: Logger;
  config: ApiConfig;
  version: string;
  apiKey: string;
}

/** `buildApp`'s deps with the real core over NATS, wired as `main` wires it. */
export function overNats(deps: NatsAppDeps): AppDeps {
  const { bus, registry, settings, events, log, config, version, apiKey } = deps;
  const core = createCore({ bus, registry, settings, events, log, ...coreTimings(config) });
  return { core, log, config, version, apiKey };
}

/**
 * The NATS side as `main` opens it, on a test's connection: the bus, the engines registry, the
 * settings bucket and the events stream (small limits unless given); the config from `env`.
 */
export async function natsAppDeps(
  nc: NatsConnection,
  opts: {
    log: Logger;
    apiKey: string;
    env?: Record<string, string>;
    version?: string;
    eventLimits?: EventLimits;
  },
): Promise<NatsAppDeps> {
  const { log } = opts;
  return {
    bus: new Bus(nc, log),
    registry: await EngineRegistry.open(nc, log),
    settings: await SettingsStore.open(nc, log),
    events: await EventLog.open(
      nc,
      log,
      opts.eventLimits ?? { maxAgeMs: 60_000, maxEvents: 1000, maxBytes: 1 << 20 },
    ),
    log,
    config: loadApiConfig(opts.env ?? {}),
    version: opts.version ?? '9.9.9',
    apiKey: opts.apiKey,
  };
}

/** A real nats-server, the stand-in engine and gateway on it, and the api's NATS side. */
export interface NatsWithPeers {
  nats: NatsServer;
  /** The stand-ins' own connection (a test may open stores on it, as another service would). */
  peersNc: NatsConnection;
  peers: Peers;
  deps: NatsAppDeps;
  /** Stop the stand-ins, close both connections, stop nats-server (after the app is closed). */
  close(): Promise<void>;
}

/**
 * The set-up of the api tests over real NATS: nats-server, the stand-ins (testing/peers.ts) on
 * a connection of their own, and `natsAppDeps` on the api's connection.
 */
export async function startNatsWithPeers(opts: Parameters<typeof natsAppDeps>[1]): Promise<NatsWithPeers> {
  const { log } = opts;
  const nats = await startNatsServer();
  const nc = await connectNats(nats.url, 'test-api', log);
  const peersNc = await connectNats(nats.url, 'test-peers', log);
  const peers = await startPeers(peersNc, log);
  const deps = await natsAppDeps(nc, opts);
  const close = async () => {
    await peers.stop().catch(() => undefined);
    await peersNc.close();
    await nc.close();
    await nats.stop();
  };
  return { nats, peersNc, peers, deps, close };
}
