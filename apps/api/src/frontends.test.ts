import { createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { overNats, startNatsWithPeers, type NatsWithPeers } from './testing/app-deps.js';
import { HELD, torrent, type Peers } from './testing/peers.js';

/*
 * REST, JSON-RPC and Transmission are front-ends of one core: on a real nats-server with a
 * stand-in engine, they agree on the cases where the three copies of this logic used to differ
 * (adding a hash an engine already holds while the registry does not list it yet, removing such
 * a torrent, a hash nobody holds).
 */

const log = createLogger('api-frontends-test', 'silent');
const KEY = 'frontends-test-api-key-0123';
/** Held by the engine, not (yet) in its registry entry: the registry lags by up to a heartbeat. */
const LAGGING = 'cccccccccccccccccccccccccccccccccccccccc';
const NOBODY = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

let world: NatsWithPeers;
let peers: Peers;
let app: FastifyInstance;

beforeAll(async () => {
  const env = { BITWEEN_DEFAULT_TIMEOUT_MS: '3000', BITWEEN_API_CACHE_MS: '0' };
  world = await startNatsWithPeers({ log, apiKey: KEY, env });
  peers = world.peers;
  app = await buildApp(overNats(world.deps));
});

afterAll(async () => {
  await app?.close();
  await world?.close();
});

/** The engine holds LAGGING (seeding, in /srv/kept) without announcing it to the registry. */
beforeEach(() => {
  peers.torrents.set(LAGGING, torrent({ hash: LAGGING, name: 'lagging', savePath: '/srv/kept' }));
});

const headers = { 'x-api-key': KEY };

const rest = {
  add: (hash: string) =>
    app.inject({ method: 'POST', url: '/v1/torrents', headers, payload: { hash, savePath: '/elsewhere' } }),
  remove: (hash: string) => app.inject({ method: 'DELETE', url: `/v1/torrents/${hash}`, headers }),
};

async function rpc(method: string, params: Record<string, unknown>) {
  const res = await app.inject({
    method: 'POST',
    url: '/api',
    headers,
    payload: { jsonrpc: '2.0', id: 1, method, params },
  });
  return res.json<{ result?: unknown; error?: { code: number; data?: { code: string } } }>();
}

let sessionId = '';
async function tr(method: string, args: Record<string, unknown>) {
  const send = () =>
    app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { ...headers, 'x-transmission-session-id': sessionId },
      payload: JSON.stringify({ method, arguments: args }),
    });
  let res = await send();
  if (res.statusCode === 409) {
    sessionId = String(res.headers['x-transmission-session-id']);
    res = await send();
  }
  return res.json<{ result: string; arguments: Record<string, unknown> }>();
}

/** The torrent as the engine holds it: an add that was not idempotent would have replaced it. */
const kept = () => peers.torrents.get(LAGGING);

describe('adding a hash an engine holds while the registry does not list it', () => {
  it('REST: 200, created false, the torrent untouched', async () => {
    const res = await rest.add(LAGGING);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: false, torrent: { hash: LAGGING, savePath: '/srv/kept' } });
    expect(kept()).toMatchObject({ state: 'seeding', savePath: '/srv/kept' });
  });

  it('JSON-RPC: true, the torrent untouched', async () => {
    expect(await rpc('bt.add_torrent_by_hash', { hash: LAGGING, save_path: '/elsewhere' })).toMatchObject({
      result: true,
    });
    expect(kept()).toMatchObject({ state: 'seeding', savePath: '/srv/kept' });
  });

  it('Transmission: torrent-duplicate, the torrent untouched', async () => {
    const a = await tr('torrent-add', {
      filename: `magnet:?xt=urn:btih:${LAGGING}`,
      'download-dir': '/elsewhere',
    });
    expect(a.result).toBe('success');
    expect(a.arguments['torrent-duplicate']).toMatchObject({ hashString: LAGGING, name: 'lagging' });
    expect(a.arguments['torrent-added']).toBeUndefined();
    expect(kept()).toMatchObject({ state: 'seeding', savePath: '/srv/kept' });
  });
});

describe('removing a torrent the registry does not list yet', () => {
  it('REST: 204 and gone from the engine', async () => {
    expect((await rest.remove(LAGGING)).statusCode).toBe(204);
    expect(kept()).toBeUndefined();
  });

  it('JSON-RPC: true and gone from the engine', async () => {
    expect(await rpc('bt.del_torrent', { hash: LAGGING })).toMatchObject({ result: true });
    expect(kept()).toBeUndefined();
  });

  it('Transmission: success and gone from the engine', async () => {
    expect((await tr('torrent-remove', { ids: [LAGGING] })).result).toBe('success');
    expect(kept()).toBeUndefined();
  });
});

describe('a hash no engine holds', () => {
  it('REST: 404 not_found, for reading and removing', async () => {
    const get = await app.inject({ method: 'GET', url: `/v1/torrents/${NOBODY}`, headers });
    expect(get.statusCode).toBe(404);
    expect(get.json()).toMatchObject({ code: 'not_found', detail: `no torrent with hash ${NOBODY}` });
    const del = await rest.remove(NOBODY);
    expect(del.statusCode).toBe(404);
    expect(del.json()).toMatchObject({ code: 'not_found', detail: `no torrent with hash ${NOBODY}` });
  });

  it('JSON-RPC: -32004 with data.code not_found', async () => {
    expect(await rpc('bt.del_torrent', { hash: NOBODY })).toMatchObject({
      error: { code: -32004, message: `no torrent with hash ${NOBODY}`, data: { code: 'not_found' } },
    });
  });

  it('Transmission: skipped as an unknown id (success, nothing changes), as Transmission does', async () => {
    const before = [...peers.torrents.keys()].sort();
    expect((await tr('torrent-remove', { ids: [NOBODY] })).result).toBe('success');
    expect((await tr('torrent-stop', { ids: [NOBODY] })).result).toBe('success');
    expect([...peers.torrents.keys()].sort()).toEqual(before);
    expect(peers.torrents.get(HELD)).toBeDefined();
  });
});
