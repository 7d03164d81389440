import { ShareVisibilityStore } from '@bitween/bus';
import { createLogger } from '@bitween/runtime';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { overNats, startNatsWithPeers, type NatsWithPeers } from './testing/app-deps.js';

/*
 * Per-group visibility over REST (`/v1/torrents/{hash}/visibility`, `/v1/groups`) against a real
 * nats-server: what the api writes is what the gateway's store reads back from the KV bucket.
 */

const KEY = 'test-key-0123456789abcdef';
const log = createLogger('api-visibility-test', 'silent');
const HASH = 'ab'.repeat(20);

let world: NatsWithPeers;
let app: FastifyInstance;

beforeAll(async () => {
  world = await startNatsWithPeers({
    log,
    apiKey: KEY,
    eventLimits: { maxAgeMs: 600_000, maxEvents: 10_000, maxBytes: 8 << 20 },
    env: { BITWEEN_DEFAULT_TIMEOUT_MS: '3000', BITWEEN_API_CACHE_MS: '0' },
  });
  app = await buildApp(overNats(world.deps));
});

afterAll(async () => {
  await app?.close();
  await world?.close();
});

async function call(method: InjectOptions['method'], url: string, payload?: InjectOptions['payload']) {
  const opts: InjectOptions = { method, url, headers: { 'x-api-key': KEY } };
  if (payload !== undefined) opts.payload = payload;
  return app.inject(opts);
}

describe('share visibility', () => {
  it('is every contact by default; set, it is stored for the gateway; [] makes it every contact again', async () => {
    expect((await call('GET', `/v1/torrents/${HASH}/visibility`)).json()).toEqual({ hash: HASH, groups: [] });

    const set = await call('PUT', `/v1/torrents/${HASH.toUpperCase()}/visibility`, {
      groups: ['work', 'family', 'work'],
    });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ hash: HASH, groups: ['family', 'work'] });
    expect((await call('GET', `/v1/torrents/${HASH}/visibility`)).json()).toEqual({
      hash: HASH,
      groups: ['family', 'work'],
    });
    // What the gateway reads (its own store over the same bucket).
    const store = await ShareVisibilityStore.open(world.peersNc, log);
    expect((await store.get(HASH))?.groups).toEqual(['family', 'work']);

    expect((await call('PUT', `/v1/torrents/${HASH}/visibility`, { groups: [] })).json()).toEqual({
      hash: HASH,
      groups: [],
    });
    expect(await store.get(HASH)).toBeNull();
  });

  it.each([
    ['a control character', { groups: ['fam\u0000ily'] }],
    ['an empty name', { groups: [''] }],
    ['too many groups', { groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }],
    ['no list', {}],
  ])('refuses %s', async (_what, body: object) => {
    const r = await call('PUT', `/v1/torrents/${HASH}/visibility`, body);
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a path that is no info-hash', async () => {
    expect((await call('PUT', '/v1/torrents/nothex/visibility', { groups: ['family'] })).statusCode).toBe(
      400,
    );
  });

  it('lists the roster’s groups with their number of contacts', async () => {
    world.peers.contacts = [
      {
        jid: 'bob@example.org',
        name: null,
        subscription: 'both',
        online: true,
        resources: [],
        groups: ['family'],
      },
      {
        jid: 'carol@example.org',
        name: null,
        subscription: 'both',
        online: false,
        resources: [],
        groups: ['work', 'family'],
      },
      { jid: 'dave@example.org', name: null, subscription: 'to', online: false, resources: [] },
    ];
    expect((await call('GET', '/v1/groups')).json()).toEqual({
      groups: [
        { name: 'family', contacts: 2 },
        { name: 'work', contacts: 1 },
      ],
    });
  });
});
