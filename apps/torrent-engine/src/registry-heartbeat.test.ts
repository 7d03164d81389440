// What RegistryHeartbeat asks the lease to write (pure logic: the lease is a recording stand-in;
// the writes themselves are tested against nats-server in test/src/integration/registry-torrents).
import type { EngineEntry } from '@bitween/messages';
import type { HeldTorrent } from '@bitween/bus';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryHeartbeat } from './registry-heartbeat.js';

const hashOf = (i: number) => i.toString(16).padStart(40, '0');

function setup(count: number) {
  const held = new Map<string, HeldTorrent>();
  for (let i = 0; i < count; i++) held.set(hashOf(i), { hash: hashOf(i), name: `t${i}`, size: i });
  const calls: { kind: 'sync' | 'update' | 'beat'; hashes: string[]; removed?: string[] }[] = [];
  let failUpdates = 0;
  const lease = {
    beat: (_entry: EngineEntry) => {
      calls.push({ kind: 'beat', hashes: [] });
      return Promise.resolve();
    },
    syncTorrents: (torrents: HeldTorrent[]) => {
      calls.push({ kind: 'sync', hashes: torrents.map((t) => t.hash) });
      return Promise.resolve();
    },
    updateTorrents: (changes: ReadonlyMap<string, HeldTorrent | null>) => {
      if (failUpdates > 0) {
        failUpdates--;
        return Promise.reject(new Error('nats timeout'));
      }
      calls.push({
        kind: 'update',
        hashes: [...changes].filter(([, t]) => t).map(([h]) => h),
        removed: [...changes].filter(([, t]) => !t).map(([h]) => h),
      });
      return Promise.resolve();
    },
    withdraw: () => Promise.resolve(),
  };
  const entry = () => ({}) as EngineEntry;
  const heartbeat = new RegistryHeartbeat(
    lease,
    entry,
    { all: () => [...held.values()], one: (hash) => held.get(hash) ?? null },
    pino({ level: 'silent' }),
  );
  const torrentWrites = () => calls.filter((c) => c.kind !== 'beat');
  return { held, calls, heartbeat, torrentWrites, failNextUpdates: (n: number) => (failUpdates = n) };
}

/** Until `check` holds (the writes run on promises and, for a retry, a 1 s timer). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('RegistryHeartbeat', () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it('writes all torrents once at the start, then only the torrents each change names', async () => {
    const { held, heartbeat, torrentWrites, calls } = setup(1000);
    heartbeat.start(60_000);
    stop = () => heartbeat.stop();
    await until(() => torrentWrites().length === 1);
    expect(torrentWrites()[0]).toMatchObject({ kind: 'sync' });
    expect(torrentWrites()[0]!.hashes).toHaveLength(1000);

    // An addition, and a removal: one update of those two, not a pass over the 1,000.
    held.set(hashOf(5000), { hash: hashOf(5000), name: null, size: null });
    heartbeat.changed(hashOf(5000));
    held.delete(hashOf(3));
    heartbeat.changed(hashOf(3));
    await until(() => torrentWrites().length >= 2);
    await until(() => torrentWrites().flatMap((c) => [...c.hashes, ...(c.removed ?? [])]).length === 1002);
    const updates = torrentWrites().slice(1);
    expect(updates.every((c) => c.kind === 'update')).toBe(true);
    expect(updates.flatMap((c) => c.hashes)).toEqual([hashOf(5000)]);
    expect(updates.flatMap((c) => c.removed)).toEqual([hashOf(3)]);

    // A change of the entry alone (e.g. the port mapping) writes the entry, no torrent.
    const before = torrentWrites().length;
    const beats = calls.filter((c) => c.kind === 'beat').length;
    heartbeat.changed();
    await until(() => calls.filter((c) => c.kind === 'beat').length > beats);
    expect(torrentWrites()).toHaveLength(before);
  });

  it('compares all torrents again on a reconcile (a change nobody named)', async () => {
    const { held, heartbeat, torrentWrites } = setup(10);
    heartbeat.start(60_000);
    stop = () => heartbeat.stop();
    await until(() => torrentWrites().length === 1);
    held.set(hashOf(99), { hash: hashOf(99), name: 'unannounced', size: 1 });
    heartbeat.reconcile();
    await until(() => torrentWrites().length === 2);
    expect(torrentWrites()[1]).toMatchObject({ kind: 'sync' });
    expect(torrentWrites()[1]!.hashes).toContain(hashOf(99));
  });

  it('runs the reconcile on its own every reconcileMs', async () => {
    const { heartbeat, torrentWrites } = setup(3);
    heartbeat.start(60_000, 50);
    stop = () => heartbeat.stop();
    await until(() => torrentWrites().filter((c) => c.kind === 'sync').length >= 3);
  });

  it('writes the torrents of a failed update again', async () => {
    const { held, heartbeat, torrentWrites, failNextUpdates } = setup(5);
    heartbeat.start(60_000);
    stop = () => heartbeat.stop();
    await until(() => torrentWrites().length === 1);
    failNextUpdates(1);
    held.set(hashOf(42), { hash: hashOf(42), name: 'new', size: 42 });
    heartbeat.changed(hashOf(42));
    await until(() => torrentWrites().length === 2);
    expect(torrentWrites()[1]).toMatchObject({ kind: 'update', hashes: [hashOf(42)] });
  });
});
