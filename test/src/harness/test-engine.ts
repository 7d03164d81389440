import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { Bus, EngineRegistry } from '@bitween/bus';
import type { Cleanup } from './cleanup.js';
import { engineEnv, silentLogger } from './engine-env.js';
import { startNats } from './nats.js';
import { startService, type ServiceProcess } from './service.js';

export interface TestEngine {
  id: string;
  /** The test's own connection to the engine's NATS (it plays the gateway). */
  bus: Bus;
  registry: EngineRegistry;
  process: ServiceProcess;
  /** The environment it was started with (to start it again). */
  env: Record<string, string>;
}

/**
 * A torrent engine with a nats-server of its own (one user each, no gateway): downloads and
 * state under `<root>/<id>`, which is also its share root; `extra` adds to its environment.
 */
export async function startTestEngine(
  cleanup: Cleanup,
  opts: { root: string; id: string; label?: string; extra?: Record<string, string> },
): Promise<TestEngine> {
  const { root, id } = opts;
  const nats = await startNats(cleanup);
  const env = engineEnv({
    natsUrl: nats.url,
    engineId: id,
    downloads: join(root, id, 'downloads'),
    state: join(root, id, 'state'),
    shareRoots: [join(root, id)],
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
  const process = await startService(cleanup, {
    name: 'torrent-engine',
    label: opts.label ?? `engine-${id}`,
    env,
  });
  // The test's own user (it plays the api and the gateway); the engine has its own (startService).
  const nc = await nats.connect('test');
  return {
    id,
    bus: new Bus(nc, silentLogger),
    registry: await EngineRegistry.open(nc, silentLogger),
    process,
    env,
  };
}

/** The port the engine's torrents listen on (from its 'announcing' log). */
export function torrentPort(e: TestEngine): number {
  const port = e.process.logs.find((l) => l.msg === 'announcing')?.port;
  if (typeof port !== 'number') throw new Error(`${e.id} logged no 'announcing' line with its torrent port`);
  return port;
}

/**
 * `leecher` adds `hash` and downloads it from 127.0.0.1:`port`, as if a friend had announced
 * that endpoint; resolves once its 'download complete' log line is there.
 */
export async function downloadFrom(
  leecher: TestEngine,
  hash: string,
  port: number,
  what: string,
): Promise<void> {
  const complete = leecher.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
    what,
  });
  const added = await leecher.bus.request(engine.addHash, { hash });
  if (!added.ok) throw added.error;
  leecher.bus.publish(xmpp.peers, { peers: [{ hash, endpoints: [{ address: '127.0.0.1', port }] }] });
  await complete;
}
