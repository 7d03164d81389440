import { BusError, DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '@bitween/messages';
import { SettingsStore } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, silentLogger, startNats, waitFor } from '../harness/index.js';

describe('the settings bucket on a real nats-server', () => {
  const cleanup = new Cleanup();
  let nc: NatsConnection;

  beforeAll(async () => {
    const nats = await startNats(cleanup);
    nc = await nats.connect();
  });
  afterAll(() => cleanup.run());

  it('starts from the defaults, stores a validated patch and tells watchers', async () => {
    const store = await SettingsStore.open(nc, silentLogger);
    const seen: EngineSettings[] = [];
    const stop = await store.watchEngine((s) => seen.push(s));
    cleanup.add('settings watch', stop);
    expect(seen[0]).toEqual(DEFAULT_ENGINE_SETTINGS);

    const next = await store.updateEngine({ downloadLimit: 1_000_000, maxActiveDownloads: 2 });
    expect(next).toEqual({ downloadLimit: 1_000_000, uploadLimit: null, maxActiveDownloads: 2 });
    expect(await store.engine()).toEqual(next);
    await waitFor(() => seen.some((s) => s.maxActiveDownloads === 2), {
      what: 'the watcher to see the change',
    });

    await expect(store.updateEngine({ downloadLimit: -5 })).rejects.toBeInstanceOf(BusError);
    expect(await store.engine()).toEqual(next);
  });

  it('falls back to the defaults when the stored value is not valid', async () => {
    const store = await SettingsStore.open(nc, silentLogger);
    await store.kv.put('engine', JSON.stringify({ downloadLimit: 'fast' }));
    expect(await store.engine()).toEqual(DEFAULT_ENGINE_SETTINGS);
  });
});
