import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus, engine, xmpp } from '@bitween/messages';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  silentLogger,
  makeTempDir,
  startNats,
  startScript,
  startService,
  type ScriptProcess,
  type ServiceProcess,
} from '../harness/index.js';

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('a torrent whose file names contain ../', () => {
  const cleanup = new Cleanup();
  let root: string;
  let engineProcess: ServiceProcess;
  let seeder: ScriptProcess;
  let nc: NatsConnection;
  let bus: Bus;

  beforeAll(async () => {
    root = await makeTempDir('hostile');
    const nats = await startNats(cleanup);
    seeder = await startScript(cleanup, {
      label: 'hostile-seeder',
      script: fileURLToPath(new URL('./fixtures/hostile-seeder.mjs', import.meta.url)),
      env: { DIR: join(root, 'seeder') },
    });
    engineProcess = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'hostile-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'victim',
        downloads: join(root, 'victim', 'deep', 'downloads'),
        state: join(root, 'victim', 'state'),
      }),
    });
    nc = await connect({ servers: nats.url });
    cleanup.add('nats client', () => nc.close());
    bus = new Bus(nc, silentLogger);
  });

  afterAll(() => cleanup.run());

  it('is downloaded inside the save path, never outside it', async () => {
    const ready = seeder.logs.find((l) => l.msg === 'ready')!;
    const hash = ready.hash as string;
    const files = ready.files as { wirePath: string; servedFrom: string; sha256: string }[];
    const downloads = join(root, 'victim', 'deep', 'downloads');

    const added = await bus.request(engine.addHash, { hash, savePath: downloads });
    expect(added.ok).toBe(true);
    const finished = engineProcess.waitForLog(
      (l) =>
        (l.msg === 'download complete' || l.msg === 'refused a torrent with unsafe file names') &&
        l.hash === hash,
      { what: 'the engine to finish or refuse the hostile torrent' },
    );
    // The gateway's role: hand the engine the peer's endpoint.
    bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: ready.port as number }] }],
    });
    await finished;

    // Nothing was written anywhere but the downloads folder (and the engine's state).
    const everything = (await filesBelow(join(root, 'victim'))).sort();
    expect(everything.filter((f) => !f.startsWith('state/'))).toEqual(
      files.map((f) => join('deep', 'downloads', f.servedFrom)).sort(),
    );
    for (const f of files) {
      const data = await readFile(join(downloads, f.servedFrom));
      expect(createHash('sha256').update(data).digest('hex')).toBe(f.sha256);
    }

    const list = await bus.request(engine.list, {}, { params: { engineId: 'victim' } });
    expect(
      list.ok &&
        list.value.torrents
          .find((t) => t.hash === hash)
          ?.files.map((f) => f.path)
          .sort(),
    ).toEqual(files.map((f) => f.servedFrom).sort());
  });

  it('leaves the engine serving', async () => {
    const list = await bus.request(engine.list, {}, { params: { engineId: 'victim' } });
    expect(list.ok).toBe(true);
    expect(engineProcess.logs.some((l) => l.msg === 'stopped')).toBe(false);
  });
});
