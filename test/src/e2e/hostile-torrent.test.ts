import { readdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, xmpp, type TorrentStatus } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  silentLogger,
  makeTempDir,
  startNats,
  startScript,
  startService,
  waitFor,
  type ScriptProcess,
  type ServiceProcess,
} from '../harness/index.js';

interface Case {
  case: string;
  expect: 'refused' | 'kept';
  hash: string;
  files: { path: string; sha256: string }[];
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('torrents with crafted file names', () => {
  const cleanup = new Cleanup();
  let root: string;
  let engineProcess: ServiceProcess;
  let seeder: ScriptProcess;
  let nc: NatsConnection;
  let bus: Bus;
  let cases: Case[];
  const downloads = () => join(root, 'victim', 'deep', 'downloads');

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
        downloads: downloads(),
        state: join(root, 'victim', 'state'),
      }),
    });
    nc = await nats.connect();
    bus = new Bus(nc, silentLogger);
    cases = seeder.logs.find((l) => l.msg === 'ready')!.cases as Case[];
  });

  afterAll(() => cleanup.run());

  const list = async (): Promise<TorrentStatus[]> => {
    const r = await bus.request(engine.list, {}, { params: { engineId: 'victim' } });
    if (!r.ok) throw r.error;
    return r.value.torrents;
  };

  it('refuses names with .., a / inside, NUL, C0/C1 controls, bidi overrides or duplicates; keeps the rest exactly', async () => {
    const port = seeder.logs.find((l) => l.msg === 'ready')!.port as number;
    const outcomes = cases.map((c) =>
      engineProcess.waitForLog(
        (l) =>
          (l.msg === 'download complete' || l.msg === 'refused a torrent with unsafe file names') &&
          l.hash === c.hash,
        { what: `the engine to finish or refuse the ${c.case} torrent` },
      ),
    );
    for (const c of cases) {
      const added = await bus.request(engine.addHash, { hash: c.hash, savePath: downloads() });
      expect(added.ok, c.case).toBe(true);
    }
    // The gateway's role: hand the engine the peer's endpoint.
    bus.publish(xmpp.peers, {
      peers: cases.map((c) => ({ hash: c.hash, endpoints: [{ address: '127.0.0.1', port }] })),
    });
    const logs = await Promise.all(outcomes);
    for (const [i, c] of cases.entries()) {
      expect(logs[i]!.msg, c.case).toBe(
        c.expect === 'refused' ? 'refused a torrent with unsafe file names' : 'download complete',
      );
    }

    const torrents = await list();
    const reasons: Record<string, RegExp> = {
      climb: /has "\.\." as a name/,
      absolute: /has a "\/" inside a name/,
      nul: /has a NUL or control character/,
      control: /has a NUL or control character/,
      bidi: /file name "pics\/rlo<U\+202E>gpj\.exe" has a bidi control \(U\+202E\)/,
      c1: /has a NUL or control character/,
      duplicate: /two files are both named "dup\/a.txt"/,
    };
    for (const c of cases.filter((x) => x.expect === 'refused')) {
      const t = torrents.find((x) => x.hash === c.hash);
      expect(t, c.case).toMatchObject({
        state: 'error',
        error: expect.stringMatching(reasons[c.case]!) as unknown,
      });
    }
  });

  it('writes nothing anywhere but the downloads folder, with the bytes the seeder has', async () => {
    const kept = cases.filter((c) => c.expect === 'kept');
    const everything = (await filesBelow(join(root, 'victim'))).sort();
    expect(everything.filter((f) => !f.startsWith('state/'))).toEqual(
      kept.flatMap((c) => c.files.map((f) => join('deep', 'downloads', f.path))).sort(),
    );
    for (const f of kept.flatMap((c) => c.files)) {
      const data = await readFile(join(downloads(), f.path));
      expect(createHash('sha256').update(data).digest('hex'), f.path).toBe(f.sha256);
    }
    const torrents = await waitFor(
      async () => {
        const all = await list();
        return kept.every((c) => all.find((t) => t.hash === c.hash)?.state === 'seeding') ? all : undefined;
      },
      { what: 'the kept torrent to be seeding' },
    );
    expect(
      torrents
        .find((t) => t.hash === kept[0]!.hash)
        ?.files.map((f) => f.path)
        .sort(),
    ).toEqual(kept[0]!.files.map((f) => f.path).sort());
  });

  it('leaves the engine serving', async () => {
    expect((await list()).length).toBe(cases.length);
    expect(engineProcess.logs.some((l) => l.msg === 'stopped')).toBe(false);
  });
});
