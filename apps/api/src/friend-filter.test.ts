import { createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { overNats, startNatsWithPeers, type NatsWithPeers } from './testing/app-deps.js';
import { HELD, OFFERED } from './testing/peers.js';

/*
 * GET /v1/torrents?friend=<jid>: a download of a friend's share records whose it is (the api
 * looks the hash up in the friends' lists and the engine keeps the JIDs with the torrent); our
 * own shares have no friend. A real nats-server, stand-in engine and gateway (testing/peers.ts:
 * OFFERED is in alice's and carol's lists).
 */

const KEY = 'test-key-0123456789abcdef';
const log = createLogger('api-friend-filter-test', 'silent');

let world: NatsWithPeers;
let app: FastifyInstance;

beforeAll(async () => {
  world = await startNatsWithPeers({
    log,
    apiKey: KEY,
    env: { BITWEEN_DEFAULT_TIMEOUT_MS: '3000', BITWEEN_API_CACHE_MS: '0' },
  });
  app = await buildApp(overNats(world.deps));
});

afterAll(async () => {
  await app?.close();
  await world?.close();
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: { 'x-api-key': KEY } });
const hashes = async (url: string) => {
  const res = await get(url);
  expect(res.statusCode).toBe(200);
  const body = res.json<{ torrents: { hash: string }[]; total: number }>();
  return { hashes: body.torrents.map((t) => t.hash), total: body.total };
};

describe('GET /v1/torrents?friend=', () => {
  it('records the friends whose lists offer a hash when it is added, and filters by one of them', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/v1/torrents',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      payload: { hash: OFFERED },
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      created: true,
      torrent: { hash: OFFERED, friends: ['alice@example.org', 'carol@example.org'] },
    });

    expect(await hashes('/v1/torrents?friend=carol@example.org')).toEqual({ hashes: [OFFERED], total: 1 });
    // Any case; combined with the other filters and paging.
    expect(await hashes('/v1/torrents?friend=Alice@Example.org&limit=1')).toEqual({
      hashes: [OFFERED],
      total: 1,
    });
    // HELD is a share of our own: no friend.
    expect((await hashes('/v1/torrents')).hashes).toContain(HELD);
    expect(await hashes('/v1/torrents?friend=bob@example.org')).toEqual({ hashes: [], total: 0 });
    const one = await get(`/v1/torrents/${HELD}`);
    expect(one.json<{ friends?: string[] }>().friends ?? []).toEqual([]);
  });

  it('refuses a friend that is not a bare JID', async () => {
    const res = await get('/v1/torrents?friend=not-a-jid');
    expect(res.statusCode).toBe(400);
  });
});
