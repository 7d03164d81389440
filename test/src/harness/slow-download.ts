import { join } from 'node:path';
import { Bus } from '@bitween/bus';
import { engine, xmpp } from '@bitween/messages';
import { startApi, type Api } from './api.js';
import type { Cleanup } from './cleanup.js';
import { engineEnv, silentLogger } from './engine-env.js';
import { startNats } from './nats.js';
import { startService, type ServiceProcess } from './service.js';
import { startTestEngine, torrentPort, type TestEngine } from './test-engine.js';
import { startThrottleProxy } from './throttle-proxy.js';
import { waitFor } from './wait.js';

export interface SlowDownload {
  /** The info-hash of the friend's file. */
  hash: string;
  friend: TestEngine;
  /** Our engine, downloading. */
  ownEngine: ServiceProcess;
  /** Our api (key `apiKey`). */
  api: Api;
}

/**
 * The set-up of the streaming tests: a friend's engine (its own nats-server, `<root>/friend`)
 * shares `file` (a file or folder already written below `<root>/friend`); our node (nats-server, engine in
 * `<root>/own`, api) adds its hash and downloads it through a throttling proxy at
 * `bytesPerSecond`, so the test can read it while it downloads. The test plays our gateway: it
 * gives our engine the friend's endpoint. Resolves once our api has the torrent's metadata.
 */
export async function startSlowDownload(
  cleanup: Cleanup,
  opts: { root: string; label: string; file: string; apiKey: string; bytesPerSecond: number },
): Promise<SlowDownload> {
  const friend = await startTestEngine(cleanup, {
    root: opts.root,
    id: 'friend',
    label: `${opts.label}-friend`,
  });
  const shared = await friend.bus.request(engine.addPath, { path: opts.file });
  if (!shared.ok) throw shared.error;
  const hash = shared.value.torrent.hash;
  const proxy = await startThrottleProxy(cleanup, {
    targetPort: torrentPort(friend),
    bytesPerSecond: opts.bytesPerSecond,
  });

  const nats = await startNats(cleanup);
  const ownEngine = await startService(cleanup, {
    name: 'torrent-engine',
    label: `${opts.label}-engine`,
    env: engineEnv({
      natsUrl: nats.url,
      engineId: 'own',
      downloads: join(opts.root, 'own', 'downloads'),
      state: join(opts.root, 'own', 'state'),
    }),
  });
  const api = await startApi(cleanup, { label: `${opts.label}-api`, natsUrl: nats.url, token: opts.apiKey });
  await api.rest.post('/v1/torrents', { hash });
  const bus = new Bus(await nats.connect('test'), silentLogger);
  bus.publish(xmpp.peers, { peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: proxy.port }] }] });
  await waitFor(
    async () => (await api.rest.get<{ files: unknown[] }>(`/v1/torrents/${hash}`)).files.length > 0,
    { what: 'the metadata from the friend' },
  );
  return { hash, friend, ownEngine, api };
}
