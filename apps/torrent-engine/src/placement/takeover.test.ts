import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RegisteredEngine } from '@bitween/bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../state-store.js';
import { TAKEOVER_BATCH, Takeover, preferredEngine } from './takeover.js';

describe('preferredEngine', () => {
  it('is stable, independent of order, and spreads hashes over the engines', () => {
    const ids = ['engine-1', 'engine-2', 'engine-3'];
    const hashes = Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(40, '0'));
    const picks = hashes.map((h) => preferredEngine(h, ids));
    expect(hashes.map((h) => preferredEngine(h, [...ids].reverse()))).toEqual(picks);
    for (const id of ids) expect(picks.filter((p) => p === id).length).toBeGreaterThan(60);
    expect(preferredEngine('a'.repeat(40), [])).toBeUndefined();
  });
});

describe('Takeover', () => {
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'takeover-'));
    const dead = new StateStore(path.join(dir, 'engine-9'), log);
    await dead.init();
    for (const hash of HASHES) await dead.save({ hash, source: 'path', savePath: '/data', addedAt: 1 });
    await dead.saveMetadata(HASHES[0]!, new Uint8Array([1, 2, 3]));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const HASHES = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40), '4'.repeat(40)];
  const left = async () =>
    (await readdir(path.join(dir, 'engine-9'))).filter((f) => f.endsWith('.json')).length;

  function setup(
    me: string,
    opts: { live?: string[]; owners?: Record<string, string>; graceMs?: number; failing?: Set<string> } = {},
  ) {
    const live = opts.live ?? ['engine-1', 'engine-2'];
    const owners = new Map(Object.entries(opts.owners ?? {}));
    const adopted: { hash: string; from: string; torrent: Uint8Array | null }[] = [];
    const batches: number[] = [];
    const takeover = new Takeover({
      stateDir: dir,
      engineId: me,
      registry: {
        live: () => Promise.resolve(live.map((id) => ({ state: { engineId: id } }) as RegisteredEngine)),
      },
      claims: {
        claim: (hash: string, isAlive: (id: string) => boolean) => {
          if (opts.failing?.has(hash)) return Promise.reject(new Error('KV timeout'));
          const owner = owners.get(hash);
          if (owner && owner !== me && isAlive(owner)) return Promise.resolve({ won: false as const, owner });
          owners.set(hash, me);
          return Promise.resolve({ won: true as const });
        },
        get: () => Promise.resolve(null),
        isMine: () => false,
      },
      engine: {
        has: (hash: string) => adopted.some((a) => a.hash === hash),
        adopt: (torrents, from) => {
          batches.push(torrents.length);
          for (const { record, torrentFile } of torrents)
            adopted.push({ hash: record.hash, from, torrent: torrentFile });
          return Promise.resolve();
        },
      },
      log,
      intervalMs: 1000,
      graceMs: opts.graceMs ?? 60_000,
    });
    return { takeover, adopted, owners, batches };
  }

  it('takes the torrents it is preferred for at once, the rest after the grace period', async () => {
    const one = setup('engine-1');
    await one.takeover.tick();
    const mine = HASHES.filter((h) => preferredEngine(h, ['engine-1', 'engine-2']) === 'engine-1');
    expect(one.adopted.map((a) => a.hash).sort()).toEqual(mine.sort());
    expect(await left()).toBe(HASHES.length - mine.length);

    const impatient = setup('engine-1', { graceMs: 0 });
    await impatient.takeover.tick();
    expect(await left()).toBe(0);
    expect(impatient.adopted.every((a) => a.from === 'engine-9')).toBe(true);
    // Between them they took every torrent; the metadata travels with the record (only the first had it).
    const all = [...one.adopted, ...impatient.adopted];
    expect(all.map((a) => a.hash).sort()).toEqual(HASHES);
    expect(all.map((a) => [a.hash, a.torrent])).toEqual(
      expect.arrayContaining([
        [HASHES[0], new Uint8Array([1, 2, 3])],
        [HASHES[1], null],
      ]),
    );
  });

  it('leaves torrents another live engine claimed, and tidies their stale records', async () => {
    const owners = Object.fromEntries(HASHES.map((h) => [h, 'engine-2']));
    const one = setup('engine-1', { owners, graceMs: 0 });
    await one.takeover.tick();
    expect(one.adopted).toEqual([]);
    expect(await left()).toBe(0);
  });

  it('does nothing while it is not registered itself', async () => {
    const one = setup('engine-1', { live: ['engine-2'], graceMs: 0 });
    await one.takeover.tick();
    expect(one.adopted).toEqual([]);
    expect(await left()).toBe(HASHES.length);
  });

  it('takes many torrents in batches, each adopted at once', async () => {
    const dead = new StateStore(path.join(dir, 'engine-9'), log);
    const many = Array.from({ length: TAKEOVER_BATCH * 2 + 3 }, (_, i) =>
      (i + 16).toString(16).padStart(40, 'a'),
    );
    await dead.saveAll(
      many.map((hash) => ({
        record: { hash, source: 'path', savePath: '/data', addedAt: 1 },
        torrentFile: null,
      })),
    );
    const one = setup('engine-1', { live: ['engine-1'] });
    await one.takeover.tick();
    expect(one.batches).toEqual([TAKEOVER_BATCH, TAKEOVER_BATCH, HASHES.length + 3]);
    expect(one.adopted.map((a) => a.hash).sort()).toEqual([...HASHES, ...many].sort());
    expect(await left()).toBe(0);
  });

  it('adopts the claims it won when another failed, and takes that one at a later tick', async () => {
    const failing = new Set([HASHES[1]!]);
    const one = setup('engine-1', { live: ['engine-1'], failing });
    await one.takeover.tick();
    expect(one.adopted.map((a) => a.hash).sort()).toEqual(HASHES.filter((h) => h !== HASHES[1]));
    expect(await left()).toBe(1);
    failing.clear();
    await one.takeover.tick();
    expect(one.adopted.map((a) => a.hash).sort()).toEqual(HASHES);
    expect(await left()).toBe(0);
  });
});
