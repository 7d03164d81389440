import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, MAX_SHARE_FILES } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  makeTempDir,
  silentLogger,
  startNats,
  startScript,
  startService,
  type ScriptProcess,
} from '../harness/index.js';

interface Case {
  case: string;
  expect: 'refused' | 'kept' | 'listed';
  hash: string;
}

const MANY = MAX_SHARE_FILES + 1000;

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('file lists of crafted torrents from a peer (engine.share-files)', () => {
  const cleanup = new Cleanup();
  let root: string;
  let seeder: ScriptProcess;
  let bus: Bus;
  let cases: Case[];
  let port: number;

  beforeAll(async () => {
    root = await makeTempDir('share-files-hostile');
    const nats = await startNats(cleanup);
    seeder = await startScript(cleanup, {
      label: 'hostile-seeder',
      script: fileURLToPath(new URL('./fixtures/hostile-seeder.mjs', import.meta.url)),
      env: { DIR: join(root, 'seeder'), MANY_FILES: String(MANY) },
    });
    await startService(cleanup, {
      name: 'torrent-engine',
      label: 'lister-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'lister',
        downloads: join(root, 'lister', 'downloads'),
        state: join(root, 'lister', 'state'),
      }),
    });
    bus = new Bus(await nats.connect(), silentLogger);
    const ready = seeder.logs.find((l) => l.msg === 'ready')!;
    cases = ready.cases as Case[];
    port = ready.port as number;
  });

  afterAll(() => cleanup.run());

  it('refuses unsafe names, bounds a huge list and cleans what it shows; writes nothing', async () => {
    // All at once: more than the engine fetches at a time (the rest wait their turn).
    const answers = await Promise.all(
      cases.map((c) =>
        bus.request(
          engine.shareFiles,
          { hash: c.hash, endpoints: [{ address: '127.0.0.1', port }], timeoutMs: 60_000 },
          { timeoutMs: 70_000 },
        ),
      ),
    );
    const by = new Map(cases.map((c, i) => [c.case, answers[i]!]));
    const reasons: Record<string, RegExp> = {
      climb: /^refused: file name .* has "\.\." as a name/,
      absolute: /has a "\/" inside a name/,
      nul: /has a NUL or control character/,
      control: /has a NUL or control character/,
      bidi: /has a bidi control \(U\+202E\)/,
      c1: /has a NUL or control character/,
      duplicate: /two files are both named/,
    };
    for (const c of cases.filter((x) => x.expect === 'refused')) {
      const r = by.get(c.case)!;
      expect(r.ok, c.case).toBe(false);
      expect(!r.ok && r.error.code, c.case).toBe('failed');
      expect(!r.ok && r.error.message, c.case).toMatch(reasons[c.case]!);
    }

    const many = by.get('many')!;
    if (!many.ok) throw many.error;
    expect(many.value).toMatchObject({ totalFiles: MANY, totalBytes: MANY, truncated: true, from: 'friend' });
    expect(many.value.files).toHaveLength(MAX_SHARE_FILES);
    // The left-to-right mark is dropped from what is shown.
    expect(many.value.files[0]).toEqual({ path: 'd/marked .txt', size: 1 });

    const reserved = by.get('reserved')!;
    if (!reserved.ok) throw reserved.error;
    expect(reserved.value.files.map((f) => f.path).sort()).toEqual(['CON', 'a<b>|c*.txt']);

    // Only the engine's own state: no data, no torrent record of any of them.
    const written = await filesBelow(join(root, 'lister'));
    for (const c of cases) expect(written.filter((f) => f.includes(c.hash))).toEqual([]);
    expect(written.filter((f) => !f.startsWith('state/'))).toEqual([]);
  }, 120_000);
});
