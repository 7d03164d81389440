import type { Torrent } from 'webtorrent';
import { describe, expect, it } from 'vitest';
import { RateMeter } from '../controls/rate-meter.js';
import type { TorrentRecord } from '../state-store.js';
import { fold, saveBookkeeping } from './bookkeeping.js';
import type { EngineCore, Entry } from './core.js';

/** A complete torrent seeding since `since` (the parts fold and saveBookkeeping read). */
function seed(hash: string, since: number): Entry {
  return {
    hash,
    record: { hash, source: 'path', savePath: '/shares', addedAt: 0 },
    torrent: { ready: true } as Torrent,
    hasMetadata: true,
    error: null,
    queued: false,
    complete: true,
    checkPending: false,
    trackers: null,
    files: [],
    acct: {
      mode: 'seeding',
      since,
      down: 0,
      up: 0,
      downRate: new RateMeter(),
      upRate: new RateMeter(),
      activityAt: null,
      seedingSince: since,
      unsaved: false,
      timeUnsaved: false,
    },
  } as unknown as Entry;
}

/** The entries, and a store that records what it is asked to write. */
function coreOf(entries: Entry[]): { core: EngineCore; saved: TorrentRecord[] } {
  const saved: TorrentRecord[] = [];
  const core = {
    entries: new Map(entries.map((e) => [e.hash, e])),
    opts: {
      store: {
        save: (r: TorrentRecord) => {
          saved.push(r);
          return Promise.resolve();
        },
      },
    },
    log: { warn() {} },
  } as unknown as EngineCore;
  return { core, saved };
}

describe('bookkeeping', () => {
  it('writes counts every time, time alone only when asked (hourly) or at shutdown', async () => {
    const idle = seed('a'.repeat(40), 0);
    const serving = seed('b'.repeat(40), 0);
    const { core, saved } = coreOf([idle, serving]);
    serving.acct.up = 1000;
    fold(idle, 60_000);
    fold(serving, 60_000);
    expect(idle.record.seedingMs).toBe(60_000);

    await saveBookkeeping(core, false);
    expect(saved.map((r) => r.hash)).toEqual([serving.hash]);
    expect(saved[0]).toMatchObject({ uploadedEver: 1000, seedingMs: 60_000 });

    saved.length = 0;
    await saveBookkeeping(core, false);
    expect(saved).toEqual([]);

    await saveBookkeeping(core, false, true);
    expect(saved.map((r) => r.hash)).toEqual([idle.hash]);
    expect(saved[0]).toMatchObject({ seedingMs: 60_000 });

    saved.length = 0;
    await saveBookkeeping(core, true);
    expect(saved.map((r) => r.hash).sort()).toEqual([idle.hash, serving.hash]);
  });
});
