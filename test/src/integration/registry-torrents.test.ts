import { buckets, type EngineState } from '@bitween/messages';
import { EngineRegistry, type RegisteredEngine } from '@bitween/bus';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, silentLogger, startNats, waitFor } from '../harness/index.js';

const hashOf = (i: number) => i.toString(16).padStart(40, '0');
const torrents = (n: number, name = (i: number) => `a torrent with a forty-character name ${i}`) =>
  Array.from({ length: n }, (_, i) => ({ hash: hashOf(i), name: name(i), size: 1000 + i }));

/**
 * The engines registry split in two buckets (libs/bus registry.ts, engine-torrents.ts) against a
 * real nats-server at its default max_payload: an entry per engine that does not grow with its
 * torrents, a key per torrent written only when it changes, both read back together.
 */
describe('the engines registry with one key per torrent', () => {
  const cleanup = new Cleanup();
  let nc: NatsConnection;
  let writer: EngineRegistry;

  beforeAll(async () => {
    const nats = await startNats(cleanup);
    nc = await nats.connect();
    writer = await EngineRegistry.open(nc, silentLogger, { torrents: false });
  });
  afterAll(() => cleanup.run());

  const state = (engineId: string, held: EngineState['torrents']): EngineState => ({
    engineId,
    version: 'test',
    endpoints: [{ address: '127.0.0.1', port: 6881 }],
    torrents: held,
    heartbeatMs: 60_000,
  });
  /** Messages stored in the torrents bucket so far (every put or delete is one). */
  const writes = async () =>
    (await (await jetstreamManager(nc)).streams.info(`KV_${buckets.engineTorrents}`)).state.last_seq;
  const reader = async () => {
    const r = await EngineRegistry.open(nc, silentLogger);
    cleanup.add('reader', () => r.close());
    return r;
  };

  it('keeps an engine of 20,000 torrents in a small entry, and readers get every torrent', async () => {
    const held = torrents(20_000);
    await writer.announce(state('engine-big', held));
    const entry = await writer.kv.get('engine-big');
    // The old single entry was ~1.6 MiB for this (over the 1 MiB max_payload); now it is a few hundred bytes.
    expect(entry!.length).toBeLessThan(1024);
    expect(JSON.parse(new TextDecoder().decode(entry!.value))).toMatchObject({ torrentCount: 20_000 });
    const live = await (await reader()).live();
    const big = live.find((e) => e.state.engineId === 'engine-big');
    expect(big?.state.torrents.length).toBe(20_000);
    expect(big?.state.torrents[123]).toEqual(held[123]);
  });

  it('writes only what changed, and nothing when a new run holds the same torrents', async () => {
    const held = torrents(50);
    await writer.announce(state('engine-small', held));
    const before = await writes();
    // One torrent removed, one gets its metadata, one added: three writes.
    const changed = [
      ...held.slice(1, 10),
      { ...held[10]!, name: 'renamed' },
      ...held.slice(11),
      { hash: hashOf(9999), name: null, size: null },
    ];
    await writer.announce(state('engine-small', changed));
    expect((await writes()) - before).toBe(3);
    // Another process with this id (the engine restarted) reads the keys first: no writes.
    const again = await EngineRegistry.open(nc, silentLogger, { torrents: false });
    await again.announce(state('engine-small', changed));
    expect((await writes()) - before).toBe(3);
    // …and drops the keys of torrents it no longer holds.
    await again.announce(state('engine-small', changed.slice(0, 5)));
    const small = (await (await reader()).live()).find((e) => e.state.engineId === 'engine-small');
    expect(small?.state.torrents.map((t) => t.hash)).toEqual(
      changed
        .slice(0, 5)
        .map((t) => t.hash)
        .sort(),
    );
  });

  it('writes the keys of the torrents a change names, and only those that differ', async () => {
    const held = torrents(30);
    await writer.announce(state('engine-incremental', held));
    const before = await writes();
    // A removal, a name learnt, an addition, and an unchanged torrent named too: three writes.
    await writer.updateTorrents(
      'engine-incremental',
      new Map([
        [hashOf(0), null],
        [hashOf(1), { ...held[1]!, name: 'metadata known' }],
        [hashOf(7777), { hash: hashOf(7777), name: null, size: null }],
        [hashOf(2), held[2]!],
      ]),
    );
    expect((await writes()) - before).toBe(3);
    // Named again with the same values (or a hash never held, removed): nothing written.
    await writer.updateTorrents(
      'engine-incremental',
      new Map([
        [hashOf(1), { ...held[1]!, name: 'metadata known' }],
        [hashOf(8888), null],
      ]),
    );
    expect((await writes()) - before).toBe(3);
    const want = [
      { ...held[1]!, name: 'metadata known' },
      ...held.slice(2),
      { hash: hashOf(7777), name: null, size: null },
    ];
    const r = await reader();
    await writer.kv.put('engine-incremental', writer.entryOf(state('engine-incremental', want)));
    await waitFor(() => r.torrents?.of('engine-incremental').length === want.length, {
      what: 'a reader to see the incremental writes',
    });
    expect(r.torrents?.of('engine-incremental')).toEqual(want.sort((a, b) => (a.hash < b.hash ? -1 : 1)));
    // A full sync afterwards (the reconcile) finds nothing to write.
    await writer.syncTorrents('engine-incremental', want);
    expect((await writes()) - before).toBe(3);
  });

  it("tells watchers when an engine's torrents change, not only its entry", async () => {
    const watching = await reader();
    const seen: RegisteredEngine[] = [];
    const stop = await watching.watch((id, e) => {
      if (id === 'engine-watched' && e) seen.push(e);
    });
    cleanup.add('watch', stop);
    await writer.announce(state('engine-watched', torrents(3)));
    await waitFor(() => seen.some((e) => e.state.torrents.length === 3), {
      what: 'the watcher to see three torrents',
    });
    // Only the torrents change (the entry is written again, but so would a heartbeat be).
    await writer.syncTorrents('engine-watched', torrents(4));
    await waitFor(() => seen.some((e) => e.state.torrents.length === 4), {
      what: 'the watcher to see the fourth torrent',
    });
  });
});
