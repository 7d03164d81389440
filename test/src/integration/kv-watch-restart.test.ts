import { ShareVisibilityStore } from '@bitween/bus';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup, silentLogger, startNats, waitFor } from '../harness/index.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

/**
 * A KV watch (nats.js v3 `kv.watch`, an ordered consumer) outlives a restart of nats-server: the
 * engines and the gateway follow the share visibility bucket this way, and a change made after
 * the restart must reach them without restarting the service.
 */
describe('a KV bucket watch across a nats-server restart', () => {
  const cleanup = new Cleanup();
  afterAll(() => cleanup.run());

  it('the share visibility watch sees changes made after the server restarted', async () => {
    const nats = await startNats(cleanup);
    const reconnecting = { maxReconnectAttempts: -1, reconnectTimeWait: 250 };
    const writer = await ShareVisibilityStore.open(await nats.connect('test', reconnecting), silentLogger);
    const reader = await ShareVisibilityStore.open(await nats.connect('test', reconnecting), silentLogger);
    let latest: ReadonlyMap<string, readonly string[]> = new Map();
    cleanup.add('watch', await reader.watch((v) => (latest = v)));
    await writer.set(A, ['family']);
    await waitFor(() => latest.has(A), { what: 'the watcher to see A restricted' });

    await nats.restart();
    // The writer's connection comes back by itself; its first writes may fail until then.
    await waitFor(
      () =>
        writer.set(B, ['work']).then(
          () => true,
          () => false,
        ),
      { what: 'a write to the bucket after the restart', timeoutMs: 30_000 },
    );
    await waitFor(() => latest.has(B), { what: 'the watcher to see B restricted', timeoutMs: 30_000 });
    expect(latest.get(B)).toEqual(['work']);
    expect(latest.get(A)).toEqual(['family']);
    await writer.set(A, []);
    await waitFor(() => !latest.has(A), { what: 'the watcher to see A visible to everyone again' });
  });
});
