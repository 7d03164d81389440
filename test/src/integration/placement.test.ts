import { type EngineState } from '@bitween/messages';
import { EngineLease, EngineRegistry, TorrentClaims, type TorrentClaim } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, silentLogger, startNats, waitFor } from '../harness/index.js';

/** Engine id leases and torrent claims (libs/bus placement.ts) against a real nats-server. */
describe('placement primitives in JetStream KV', () => {
  const cleanup = new Cleanup();
  let nc: NatsConnection;
  let registry: EngineRegistry;

  beforeAll(async () => {
    const nats = await startNats(cleanup);
    nc = await nats.connect();
    registry = await EngineRegistry.open(nc, silentLogger);
  });
  afterAll(() => cleanup.run());

  const state = (engineId: string): EngineState => ({
    engineId,
    version: 'test',
    endpoints: [],
    torrents: [],
    heartbeatMs: 60_000,
  });
  const claimsOf = (engineId: string, incarnation = 'one') =>
    TorrentClaims.open(nc, { engineId, incarnation }, silentLogger);

  it('gives concurrent instances distinct slots, and a fixed id to whoever asks', async () => {
    const lost: string[] = [];
    const leases = await Promise.all(
      Array.from({ length: 4 }, () =>
        EngineLease.acquire({
          registry,
          fixedId: undefined,
          initial: state,
          log: silentLogger,
          onLost: (id) => lost.push(id),
        }),
      ),
    );
    expect(leases.map((l) => l.engineId).sort()).toEqual(['engine-1', 'engine-2', 'engine-3', 'engine-4']);

    // A process that takes engine-2 by its fixed id fences the old holder out.
    const intruder = await EngineLease.acquire({
      registry,
      fixedId: 'engine-2',
      initial: state,
      log: silentLogger,
      onLost: () => undefined,
    });
    const old = leases.find((l) => l.engineId === 'engine-2')!;
    await old.announce(state('engine-2'));
    expect(lost).toEqual(['engine-2']);
    expect(old.lost).toBe(true);
    await intruder.announce(state('engine-2'));
    expect(intruder.lost).toBe(false);

    // A withdrawn slot is free again; a live one is skipped.
    await leases.find((l) => l.engineId === 'engine-1')!.withdraw();
    const next = await EngineLease.acquire({
      registry,
      fixedId: undefined,
      initial: state,
      log: silentLogger,
      onLost: () => undefined,
    });
    expect(next.engineId).toBe('engine-1');
  });

  it('lets exactly one of several concurrent claimers win a hash', async () => {
    const hash = 'c'.repeat(40);
    const claimers = await Promise.all(['e1', 'e2', 'e3', 'e4', 'e5'].map((id) => claimsOf(id)));
    const results = await Promise.all(claimers.map((c) => c.claim(hash, () => true)));
    const winners = results.flatMap((r, i) => (r.won ? [claimers[i]!.engineId] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (!r.won) expect(r.owner).toBe(winners[0]);
  });

  it('takes a claim over only from an engine that is not alive, and tells the old owner', async () => {
    const hash = 'd'.repeat(40);
    const a = await claimsOf('owner-a');
    const b = await claimsOf('owner-b');
    expect(await a.claim(hash, () => true)).toEqual({ won: true });
    const taken: [string, TorrentClaim][] = [];
    const stop = await a.watch((h, owner) => taken.push([h, owner]));
    cleanup.add('watch', stop);
    expect(await b.claim(hash, () => true)).toEqual({ won: false, owner: 'owner-a' });
    expect(await b.claim(hash, (id) => id !== 'owner-a')).toEqual({ won: true });
    await waitFor(() => taken.length > 0, { what: 'the old owner to hear that its claim was taken' });
    expect(taken[0]).toEqual([hash, expect.objectContaining({ engineId: 'owner-b' }) as unknown]);

    // A restarted owner-b (new incarnation) re-asserts its claim; owner-a cannot release it.
    const b2 = await claimsOf('owner-b', 'two');
    expect(await b2.claim(hash, () => true)).toEqual({ won: true });
    await a.release(hash);
    expect((await b2.get(hash))?.claim).toMatchObject({ engineId: 'owner-b', incarnation: 'two' });
    await b2.release(hash);
    expect(await b2.get(hash)).toBeNull();
    expect(await a.claim(hash, () => true)).toEqual({ won: true });
  });
});
