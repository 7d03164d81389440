import { BusError } from '@bitween/messages';
import { ShareVisibilityStore } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, silentLogger, startNats, waitFor } from '../harness/index.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/**
 * The share visibility bucket on a real nats-server: the api writes it (validated), the gateway
 * watches it and must know every stored restriction before its watch resolves (it publishes right
 * after: a restricted share must never go out to every contact first).
 */
describe('the share visibility bucket on a real nats-server', () => {
  const cleanup = new Cleanup();
  let nc: NatsConnection;

  beforeAll(async () => {
    const nats = await startNats(cleanup);
    nc = await nats.connect();
  });
  afterAll(() => cleanup.run());

  it('an empty bucket: the watch resolves at once with nothing restricted', async () => {
    const store = await ShareVisibilityStore.open(nc, silentLogger);
    const seen: ReadonlyMap<string, readonly string[]>[] = [];
    cleanup.add('watch', await store.watch((v) => seen.push(v)));
    expect(seen).toEqual([new Map()]);
  });

  it('the watch resolves only once the stored restrictions are known, then follows changes', async () => {
    const writer = await ShareVisibilityStore.open(nc, silentLogger);
    await writer.set(A, ['work', 'family', 'work']);
    await writer.set(B, ['friends']);
    await writer.set(B, []); // visible to every contact again
    // An invalid value someone wrote past the contract is ignored, not trusted.
    await writer.kv.put('c'.repeat(40), JSON.stringify({ groups: 'everyone' }));

    const reader = await ShareVisibilityStore.open(nc, silentLogger);
    let latest: ReadonlyMap<string, readonly string[]> = new Map();
    cleanup.add('watch', await reader.watch((v) => (latest = v)));
    expect(latest).toEqual(new Map([[A, ['family', 'work']]]));

    await writer.set(B, ['work']);
    await waitFor(() => latest.has(B), { what: 'the watcher to see B restricted' });
    expect(latest.get(B)).toEqual(['work']);
    expect(await reader.get(A)).toMatchObject({ groups: ['family', 'work'] });
    expect(await reader.get(B.toUpperCase())).toMatchObject({ groups: ['work'] });
  });

  it('refuses a key that is no info-hash and group names the contract does not allow', async () => {
    const store = await ShareVisibilityStore.open(nc, silentLogger);
    await expect(store.set('not-a-hash', ['family'])).rejects.toBeInstanceOf(BusError);
    await expect(store.set(A, ['bad\u0007name'])).rejects.toBeInstanceOf(BusError);
    await expect(
      store.set(
        A,
        Array.from({ length: 33 }, (_, i) => `g${i}`),
      ),
    ).rejects.toBeInstanceOf(BusError);
  });
});
