import type { EngineEntry } from '@bitween/messages';
import { EngineLease, EngineRegistry } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startNats,
  startTcpProxy,
  waitFor,
  type NatsServer,
} from '../harness/index.js';

/**
 * An engine's heartbeat write whose answer never came in time (its event loop was busy, the
 * request timed out) may still have been stored: the lease's next compare-and-swap then fails,
 * and the lease must recognise its own write instead of stopping the engine with "another
 * process took our engine id". A real nats-server; the engine's connection goes through a proxy
 * that holds the server's answers (the write reaches the server, its answer does not reach us).
 */
describe('engine lease after heartbeats whose answers timed out', () => {
  const cleanup = new Cleanup();
  let nats: NatsServer;
  /** The engine's registry (through the proxy) and a reader's (straight to the server). */
  let registry: EngineRegistry;
  let reader: EngineRegistry;
  /** While set, what the server sends the engine's connection is held here, not delivered. */
  let held: Buffer[] | null = null;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    nats = await startNats(cleanup);
    const proxy = await startTcpProxy(cleanup, 'nats answer holder', nats.port, (target, client) => {
      target.on('data', (data: Buffer) => (held ? held.push(data) : client.write(data)));
      release = () => {
        const queued = held ?? [];
        held = null;
        for (const data of queued) client.write(data);
      };
    });
    const nc = await nats.connect('test', { servers: `nats://127.0.0.1:${proxy.port}` });
    registry = await EngineRegistry.open(nc, silentLogger, { torrents: false });
    reader = await EngineRegistry.open(await nats.connect(), silentLogger, { torrents: false });
  });
  afterAll(() => cleanup.run());

  const entry = (engineId: string, beat: number): EngineEntry => ({
    engineId,
    version: `beat-${beat}`,
    endpoints: [],
    torrentCount: 0,
    heartbeatMs: 60_000,
  });
  const storedVersion = async (engineId: string) => {
    const stored = await reader.kv.get(engineId);
    return stored && stored.operation === 'PUT' ? reader.parse(stored)?.state.version : undefined;
  };

  /** Heartbeat `beat` while the server's answers are held: it times out, yet the server stores it (or refuses it). */
  async function beatUnanswered(lease: EngineLease, beat: number): Promise<void> {
    held = [];
    try {
      await expect(lease.beat(entry(lease.engineId, beat))).rejects.toThrow(/timeout/i);
    } finally {
      release();
    }
  }

  async function acquire(engineId: string) {
    const lost: string[] = [];
    const lease = await EngineLease.acquire({
      registry,
      fixedId: engineId,
      initial: (id) => ({ ...entry(id, 0), torrents: [] }),
      log: silentLogger,
      onLost: (id) => lost.push(id),
    });
    return { lease, lost };
  }

  it('keeps the id when the write that timed out was stored', async () => {
    const { lease, lost } = await acquire('engine-late-1');
    await lease.beat(entry(lease.engineId, 1));
    await beatUnanswered(lease, 2);
    // The write reached the server: the key holds it at a revision the lease never heard of.
    await waitFor(async () => (await storedVersion(lease.engineId)) === 'beat-2', {
      what: 'the unanswered heartbeat to be stored',
    });

    await lease.beat(entry(lease.engineId, 3));
    expect(lost).toEqual([]);
    expect(lease.lost).toBe(false);
    expect(await storedVersion(lease.engineId)).toBe('beat-3');
    // And it goes on with the revision it learned.
    await lease.beat(entry(lease.engineId, 4));
    expect(await storedVersion(lease.engineId)).toBe('beat-4');
    expect(lease.lost).toBe(false);
  }, 60_000);

  it('keeps the id when two writes in a row timed out and the earlier one was stored', async () => {
    const { lease, lost } = await acquire('engine-late-2');
    await lease.beat(entry(lease.engineId, 1));
    await beatUnanswered(lease, 2); // stored
    await waitFor(async () => (await storedVersion(lease.engineId)) === 'beat-2', {
      what: 'the first unanswered heartbeat to be stored',
    });
    await beatUnanswered(lease, 3); // refused by the server (stale revision), its answer lost too
    expect(await storedVersion(lease.engineId)).toBe('beat-2');

    await lease.beat(entry(lease.engineId, 4));
    expect(lost).toEqual([]);
    expect(lease.lost).toBe(false);
    expect(await storedVersion(lease.engineId)).toBe('beat-4');
  }, 60_000);

  it('still stops when another process took the id', async () => {
    const { lease, lost } = await acquire('engine-late-3');
    await beatUnanswered(lease, 1); // stored, then overwritten by the intruder below
    await waitFor(async () => (await storedVersion(lease.engineId)) === 'beat-1', {
      what: 'the unanswered heartbeat to be stored',
    });
    const intruder = await EngineLease.acquire({
      registry: reader,
      fixedId: lease.engineId,
      initial: (id) => ({ ...entry(id, 100), torrents: [] }),
      log: silentLogger,
      onLost: () => undefined,
    });

    await lease.beat(entry(lease.engineId, 2));
    expect(lost).toEqual([lease.engineId]);
    expect(lease.lost).toBe(true);
    expect(await storedVersion(lease.engineId)).toBe('beat-100');
    await intruder.beat(entry(lease.engineId, 101));
    expect(intruder.lost).toBe(false);
  }, 60_000);
});
