import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { Bus, EngineRegistry } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  makeTempDir,
  sha256File,
  silentLogger,
  startLibtorrent,
  startNats,
  startService,
  writeRandomFile,
  type ServiceProcess,
} from '../harness/index.js';

/** Interop with a real libtorrent 2.0 (python3-libtorrent): bare magnets, metadata over ut_metadata. */
describe('the engine and libtorrent', () => {
  const cleanup = new Cleanup();
  let root: string;
  let bus: Bus;
  let registry: EngineRegistry;
  let proc: ServiceProcess;
  const SIZE = 8 * 1024 * 1024 + 4321;

  beforeAll(async () => {
    root = await makeTempDir('libtorrent');
    await mkdir(join(root, 'shares'));
    await mkdir(join(root, 'lt'));
    const nats = await startNats(cleanup);
    proc = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'lt-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'interop',
        downloads: join(root, 'downloads'),
        state: join(root, 'state'),
        shareRoots: [join(root, 'shares')],
      }),
    });
    const nc = await nats.connect();
    bus = new Bus(nc, silentLogger);
    registry = await EngineRegistry.open(nc, silentLogger);
  });
  afterAll(() => cleanup.run());

  it('libtorrent downloads a share from the engine by bare magnet', async () => {
    // Characters Windows reserves are valid here: shared and stored under the exact name.
    const file = join(root, 'shares', 'from engine: "best"?.bin');
    const sum = await writeRandomFile(file, SIZE);
    const shared = await bus.request(engine.addPath, { path: file });
    if (!shared.ok) throw shared.error;
    const [me] = await registry.live();
    const leech = await startLibtorrent(cleanup, {
      label: 'lt-leech',
      env: {
        MODE: 'leech',
        HASH: shared.value.torrent.hash,
        PEER: `127.0.0.1:${me!.state.endpoints[0]!.port}`,
        SAVE: join(root, 'lt'),
      },
    });
    await leech.waitForLog((l) => l.msg === 'download complete', {
      what: 'libtorrent to download from the engine',
    });
    expect(await sha256File(join(root, 'lt', 'from engine: "best"?.bin'))).toBe(sum);
  });

  it('the engine downloads a libtorrent seed by bare magnet', async () => {
    const file = join(root, 'lt', 'from-libtorrent.bin');
    const sum = await writeRandomFile(file, SIZE);
    const seed = await startLibtorrent(cleanup, { label: 'lt-seed', env: { MODE: 'seed', FILE: file } });
    const ready = seed.logs.find((l) => l.msg === 'ready')!;
    const hash = ready.hash as string;
    const added = await bus.request(engine.addHash, { hash });
    expect(added.ok && added.value.torrent.state).toBe('metadata');
    const done = proc.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: 'the engine to download from libtorrent',
    });
    bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: ready.port as number }] }],
    });
    await done;
    expect(await sha256File(join(root, 'downloads', 'from-libtorrent.bin'))).toBe(sum);
  });
});
