import {
  BusError,
  engine,
  serviceNames,
  xmpp,
  type ContactShares,
  type EngineState,
  type TorrentStatus,
} from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, SettingsStore, type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { overNats } from './testing/app-deps.js';
import { loadApiConfig } from './config.js';
import { EventLog } from './core/event-log.js';
import { startNatsServer, type NatsServer } from './testing/nats-server.js';

/*
 * The api against a real nats-server, with test peers that speak the real protocol on it: an
 * engine (micro service + KV registry entry) and a gateway, built from the same contracts as the
 * real services. Nothing of the api itself is mocked.
 */

const H1 = '3f786850e387550fdab836ed7e6dc881de23001b'; // held by e1
const H2 = '2b66fd261ee5c6cfc8de7fa466bab600bcfe4f69'; // offered by friends, held by nobody
const H_STALE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'; // in e1's registry entry, gone from e1
const TOKEN = 'correct-horse-battery-staple';

const log = createLogger('api-test', 'silent');

const torrent = (over: Partial<TorrentStatus> = {}): TorrentStatus => ({
  hash: H1,
  engineId: 'e1',
  name: 'holiday',
  size: 734003200,
  savePath: '/srv/bitween',
  state: 'seeding',
  progress: 1,
  done: true,
  downloaded: 0,
  uploaded: 1024,
  downloadSpeed: 0,
  uploadSpeed: 512,
  peers: 1,
  files: [{ path: 'holiday/a.jpg', size: 734003200, wanted: true, priority: 'normal', downloaded: 0 }],
  error: null,
  addedAt: 1700000000000,
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  ...over,
});

const e1State: EngineState = {
  engineId: 'e1',
  version: '0.1.0',
  endpoints: [{ address: '203.0.113.5', port: 8000 }],
  torrents: [
    { hash: H1, name: 'holiday', size: 734003200 },
    { hash: H_STALE, name: null, size: null },
  ],
  heartbeatMs: 60_000,
};
/** Registered as live, but nobody serves its subjects: it must be skipped, not fail the call. */
const e2State: EngineState = {
  engineId: 'e2',
  version: '0.1.0',
  endpoints: [],
  torrents: [],
  heartbeatMs: 60_000,
};

const contacts: ContactShares[] = [
  {
    jid: 'alice@example.org',
    receivedAt: 1700000000000,
    resources: [
      {
        resource: 'laptop',
        online: true,
        endpoints: [
          { address: '203.0.113.5', port: 8000 },
          { address: '2001:db8::5', port: 8000 },
        ],
        shares: [{ hash: H2, name: 'backup.tar', size: 1048576 }],
      },
    ],
  },
];

let nats: NatsServer;
let peerNc: NatsConnection;
let apiNc: NatsConnection;
let peerRegistry: EngineRegistry;
let engineHost: ServiceHost;
let gatewayHost: ServiceHost;
let app: FastifyInstance;
let authApp: FastifyInstance;
/** What the stand-in gateway answers for `xmpp.status`. */
let gatewayOnline = true;
let gatewayConfigured = true;
let releaseSlowAdd: () => void = () => undefined;
const slowAdd = new Promise<void>((resolve) => (releaseSlowAdd = resolve));
const calls = {
  addHash: [] as unknown[],
  remove: [] as { hash: string; subject: string }[],
};

beforeAll(async () => {
  nats = await startNatsServer();
  peerNc = await connectNats(nats.url, 'test-peers', log);
  apiNc = await connectNats(nats.url, 'test-api', log);
  const peerBus = new Bus(peerNc, log);

  peerRegistry = await EngineRegistry.open(peerNc, log);
  await peerRegistry.announce(e1State);
  await peerRegistry.announce(e2State);

  engineHost = await ServiceHost.start(peerBus, {
    name: serviceNames.engine,
    version: '0.1.0',
    metadata: { engineId: 'e1' },
  });
  engineHost.serve(
    engine.list,
    () => ({
      torrents: [
        torrent(),
        torrent({ hash: H_STALE, name: null, size: null, files: [], state: 'metadata', progress: 0 }),
      ],
    }),
    {
      params: { engineId: 'e1' },
    },
  );
  engineHost.serve(engine.addPath, async ({ path }) => {
    if (path === '/missing') throw new BusError('not_found', 'no such file or directory: /missing');
    if (path === '/unreadable') throw new BusError('failed', 'permission denied: /unreadable');
    if (path === '/slow') await slowAdd;
    return { torrent: torrent({ savePath: path }), created: true };
  });
  engineHost.serve(engine.addHash, (req) => {
    calls.addHash.push(req);
    return {
      torrent: torrent({ hash: req.hash, name: null, size: null, state: 'metadata', progress: 0 }),
      created: true,
    };
  });
  engineHost.serve(
    engine.remove,
    ({ hash }, { subject }) => {
      calls.remove.push({ hash, subject });
      if (hash !== H1) throw new BusError('not_found', `no torrent with hash ${hash}`);
      return { removed: true as const };
    },
    { params: { engineId: 'e1' } },
  );

  gatewayHost = await ServiceHost.start(peerBus, { name: serviceNames.gateway, version: '0.2.0' });
  gatewayHost.serve(xmpp.shares, () => ({ contacts }));
  gatewayHost.serve(xmpp.status, () =>
    gatewayConfigured
      ? { jid: 'me@example.org/bitween', online: gatewayOnline, contacts: 1 }
      : { jid: '', online: false, contacts: 0, configured: false, accountSource: null },
  );

  const bus = new Bus(apiNc, log);
  const registry = await EngineRegistry.open(apiNc, log);
  // No listing cache here (every call asks the stand-ins); the cache is tested in core/cache/views.test.ts.
  const config = loadApiConfig({
    BITWEEN_DEFAULT_TIMEOUT_MS: '2000',
    BITWEEN_ADD_PATH_TIMEOUT_MS: '300',
    BITWEEN_API_CACHE_MS: '0',
  });
  const settings = await SettingsStore.open(apiNc, log);
  const events = await EventLog.open(apiNc, log, { maxAgeMs: 60_000, maxEvents: 1000, maxBytes: 1 << 20 });
  const deps = { bus, registry, settings, events, log, config, version: '9.9.9', apiKey: TOKEN };
  app = await buildApp(overNats(deps));
  authApp = await buildApp(overNats(deps));
});

afterAll(async () => {
  releaseSlowAdd();
  await app?.close();
  await authApp?.close();
  await engineHost?.stop();
  await gatewayHost?.stop();
  await apiNc?.close();
  await peerNc?.close();
  await nats?.stop();
});

let nextId = 1;
/** `app` gets the key by default; `authApp` is for the tests of refusals. */
function post(
  target: FastifyInstance,
  body: unknown,
  headers: Record<string, string> = target === app ? { 'x-api-key': TOKEN } : {},
) {
  return target.inject({
    method: 'POST',
    url: '/api',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
/** One call; returns the HTTP status and the envelope. */
async function call(method: string, params?: unknown) {
  const id = nextId++;
  const res = await post(app, { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
  const body = res.json<{
    id: number;
    result?: unknown;
    error?: { code: number; message: string; data?: unknown };
  }>();
  expect(body.id).toBe(id);
  return { status: res.statusCode, ...body };
}

describe('Api.*', () => {
  it('Api.versions reports bitween, node and every NATS micro service', async () => {
    // e2 (live in the registry) answers $SRV.INFO 300 ms after the others, as a busy engine
    // process may: it is waited for, not cut off by a moment of silence.
    const slow = peerNc.subscribe('$SRV.INFO', {
      callback: (_err, msg) => {
        const info = {
          name: serviceNames.engine,
          id: 'slow-e2',
          version: '0.1.0',
          metadata: { engineId: 'e2' },
        };
        setTimeout(
          () => msg.respond(JSON.stringify({ type: 'io.nats.micro.v1.info_response', ...info })),
          300,
        );
      },
    });
    await peerNc.flush();
    try {
      const r = await call('Api.versions');
      expect(r.status).toBe(200);
      expect(r.result).toEqual({
        bitween: '9.9.9',
        node: process.version,
        services: expect.arrayContaining([
          { name: serviceNames.engine, id: engineHost.id, version: '0.1.0', metadata: { engineId: 'e1' } },
          { name: serviceNames.engine, id: 'slow-e2', version: '0.1.0', metadata: { engineId: 'e2' } },
          { name: serviceNames.gateway, id: gatewayHost.id, version: '0.2.0', metadata: {} },
        ]) as unknown,
      });
    } finally {
      slow.unsubscribe();
    }
  });

  it('Api.exit refuses to stop the daemon', async () => {
    const r = await call('Api.exit');
    expect(r.error).toMatchObject({
      code: -32010,
      message: expect.stringMatching(/^Api\.exit is not supported/) as unknown,
    });
  });
});

describe('bt.*', () => {
  it('bt.get_torrents lists the torrents of every engine that answers', async () => {
    const r = await call('bt.get_torrents');
    expect(r.result).toEqual({
      torrents: [
        {
          name: 'holiday',
          hash: H1,
          total_size: 734003200,
          done: 734003200,
          files: [{ path: 'holiday/a.jpg', size: 734003200 }],
          progress: 1,
          state: 'seeding',
          engine_id: 'e1',
          save_path: '/srv/bitween',
          peers: 1,
          download_speed: 0,
          upload_speed: 512,
          uploaded: 1024,
          error: null,
        },
        expect.objectContaining({
          name: null,
          hash: H_STALE,
          total_size: null,
          done: 0,
          files: [],
          state: 'metadata',
        }),
      ],
    });
  });

  it('bt.add_path shares an absolute path, by name or by position', async () => {
    expect((await call('bt.add_path', { path: '/data/holiday' })).result).toBe(true);
    expect((await call('bt.add_path', ['/data/holiday'])).result).toBe(true);
  });

  it('bt.add_path refuses a relative or missing path with -32602 naming it', async () => {
    const relative = await call('bt.add_path', { path: 'data/holiday' });
    expect(relative.status).toBe(200);
    expect(relative.error).toMatchObject({
      code: -32602,
      message: "invalid params: path: must be an absolute path on the daemon's host",
      data: { issues: [{ path: 'path', message: "must be an absolute path on the daemon's host" }] },
    });
    const missing = await call('bt.add_path', {});
    expect(missing.error).toMatchObject({ code: -32602, message: 'invalid params: path: is required' });
  });

  it("bt.add_path passes on the engine's reason when it fails", async () => {
    expect((await call('bt.add_path', { path: '/missing' })).error).toEqual({
      code: -32004,
      message: 'no such file or directory: /missing',
      data: { code: 'not_found' },
    });
    expect((await call('bt.add_path', { path: '/unreadable' })).error).toMatchObject({
      code: -32010,
      message: 'permission denied: /unreadable',
    });
  });

  it('bt.add_path gives up after BITWEEN_ADD_PATH_TIMEOUT_MS with -32002', async () => {
    expect((await call('bt.add_path', { path: '/slow' })).error).toMatchObject({
      code: -32002,
      data: { code: 'timeout' },
    });
  });

  it('bt.add_torrent_by_hash asks an engine for a new hash (magnet links too)', async () => {
    const before = calls.addHash.length;
    expect(
      (await call('bt.add_torrent_by_hash', { hash: H2.toUpperCase(), save_path: '/srv/in' })).result,
    ).toBe(true);
    expect((await call('bt.add_torrent_by_hash', [`magnet:?xt=urn:btih:${H2}&dn=backup.tar`])).result).toBe(
      true,
    );
    // H2 is offered by alice (the gateway's lists): the download records whose share it is.
    const friends = ['alice@example.org'];
    expect(calls.addHash.slice(before)).toEqual([
      { hash: H2, savePath: '/srv/in', friends },
      { hash: H2, friends },
    ]);
  });

  it('bt.add_torrent_by_hash is idempotent: a hash an engine holds is not sent again', async () => {
    const before = calls.addHash.length;
    expect((await call('bt.add_torrent_by_hash', { hash: ` ${H1} ` })).result).toBe(true);
    expect(calls.addHash.length).toBe(before);
  });

  it('bt.add_torrent_by_hash refuses a bad hash or a relative save_path with -32602 naming the field', async () => {
    const bad = await call('bt.add_torrent_by_hash', { hash: 'xyz' });
    expect(bad.error?.code).toBe(-32602);
    expect(bad.error?.message).toMatch(/^invalid params: hash: must be a BitTorrent v1 info-hash/);
    expect(bad.error?.data).toEqual({ issues: [{ path: 'hash', message: expect.any(String) as unknown }] });
    const rel = await call('bt.add_torrent_by_hash', { hash: H2, save_path: 'downloads' });
    expect(rel.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/^invalid params: save_path: /) as unknown,
    });
  });

  it('bt.del_torrent removes the torrent from the engine that owns it', async () => {
    const before = calls.remove.length;
    expect((await call('bt.del_torrent', { hash: H1 })).result).toBe(true);
    expect(calls.remove.slice(before)).toEqual([
      { hash: H1, subject: engine.remove.subject({ engineId: 'e1' }) },
    ]);
  });

  it('bt.del_torrent answers -32004 for a hash nobody holds, or one its engine no longer has', async () => {
    expect((await call('bt.del_torrent', { hash: H2 })).error).toMatchObject({
      code: -32004,
      message: `no torrent with hash ${H2}`,
    });
    expect((await call('bt.del_torrent', [H_STALE])).error).toMatchObject({ code: -32004 });
  });
});

describe('xmpp.*', () => {
  it('xmpp.get_shares gives the original shape', async () => {
    expect((await call('xmpp.get_shares')).result).toEqual({
      shares: {
        'alice@example.org': {
          laptop: {
            ip_v4: [['203.0.113.5', 8000]],
            ip_v6: [['2001:db8::5', 8000]],
            shares: { [H2]: { hash: H2, name: 'backup.tar', size: 1048576, files: null } },
          },
        },
      },
    });
  });

  it('xmpp.get_hashes gives every offered hash with its endpoints', async () => {
    expect((await call('xmpp.get_hashes')).result).toEqual({
      hashes: {
        [H2]: [
          ['203.0.113.5', 8000],
          ['2001:db8::5', 8000],
        ],
      },
    });
  });
});

describe('JSON-RPC framing', () => {
  it('names an unknown method in -32601', async () => {
    expect((await call('bt.frobnicate')).error).toMatchObject({
      code: -32601,
      message: 'method not found: bt.frobnicate',
    });
  });

  it('answers invalid JSON with -32700 (HTTP 200)', async () => {
    const res = await post(app, '{"jsonrpc": "2.0", "method": ');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    const empty = await post(app, '');
    expect(empty.json()).toMatchObject({ id: null, error: { code: -32700 } });
  });

  it('answers a malformed envelope with -32600, keeping its id', async () => {
    const res = await post(app, { jsonrpc: '1.0', id: 7, method: 'bt.get_torrents' });
    expect(res.json()).toMatchObject({
      id: 7,
      error: { code: -32600, message: expect.stringMatching(/jsonrpc/) as unknown },
    });
    const badParams = await post(app, { jsonrpc: '2.0', id: 8, method: 'bt.get_torrents', params: 'x' });
    expect(badParams.json()).toMatchObject({
      id: 8,
      error: { code: -32600, message: expect.stringMatching(/params/) as unknown },
    });
    // Not valid JSON-RPC, but some clients send it: taken as "no params".
    const nullParams = await post(app, { jsonrpc: '2.0', id: 9, method: 'bt.get_torrents', params: null });
    expect(nullParams.json()).toMatchObject({ id: 9, result: { torrents: expect.any(Array) as unknown } });
    const nothing = await post(app, []);
    expect(nothing.json()).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it('runs a batch: an array of answers, none for notifications', async () => {
    const before = calls.addHash.length;
    const res = await post(app, [
      { jsonrpc: '2.0', id: 'a', method: 'bt.get_torrents' },
      { jsonrpc: '2.0', method: 'bt.add_torrent_by_hash', params: { hash: H2 } },
      { jsonrpc: '2.0', id: 'b', method: 'nope' },
      null,
    ]);
    expect(res.statusCode).toBe(200);
    const answers = res.json<{ id: unknown; result?: unknown; error?: { code: number } }[]>();
    expect(answers.map((a) => [a.id, a.error?.code ?? 'ok'])).toEqual([
      ['a', 'ok'],
      ['b', -32601],
      [null, -32600],
    ]);
    // The notification was executed.
    expect(calls.addHash.slice(before)).toEqual([{ hash: H2, friends: ['alice@example.org'] }]);
  });

  it('answers a single-call batch with an array and an all-notification body with 204', async () => {
    const one = await post(app, [{ jsonrpc: '2.0', id: 1, method: 'bt.get_torrents' }]);
    expect(Array.isArray(one.json())).toBe(true);
    const none = await post(app, [
      { jsonrpc: '2.0', method: 'bt.get_torrents' },
      { jsonrpc: '2.0', method: 'no.such_method' },
    ]);
    expect(none.statusCode).toBe(204);
    expect(none.body).toBe('');
    expect((await post(app, { jsonrpc: '2.0', method: 'Api.exit' })).statusCode).toBe(204);
  });

  it('refuses bodies that are not JSON media types with 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api',
      headers: { 'content-type': 'text/plain', 'x-api-key': TOKEN },
      payload: '{}',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });
});

describe('bearer auth', () => {
  const versions = { jsonrpc: '2.0', id: 1, method: 'bt.get_torrents' };

  it('refuses /api without the token (401, JSON-RPC envelope)', async () => {
    const res = await post(authApp, versions);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: expect.stringMatching(/^unauthorized: missing API key/) as unknown },
    });
    expect(
      (await post(authApp, versions, { authorization: 'Bearer wrong-token-of-some-length' })).statusCode,
    ).toBe(401);
    expect((await post(authApp, versions, { authorization: `Basic ${TOKEN}` })).statusCode).toBe(401);
    // The method never ran.
    const before = calls.addHash.length;
    const add = { jsonrpc: '2.0', id: 2, method: 'bt.add_torrent_by_hash', params: { hash: H2 } };
    expect((await post(authApp, add)).statusCode).toBe(401);
    expect(calls.addHash.length).toBe(before);
  });

  it('serves /api with the token', async () => {
    const res = await post(authApp, versions, { authorization: `Bearer ${TOKEN}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 1, result: { torrents: expect.any(Array) as unknown } });
  });

  it('leaves GET /health open and guards unknown URLs too', async () => {
    expect((await authApp.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await authApp.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(401);
    expect(
      (await authApp.inject({ method: 'GET', url: '/nope', headers: { authorization: `Bearer ${TOKEN}` } }))
        .statusCode,
    ).toBe(404);
  });
});

describe('GET /health', () => {
  it('is 503 degraded while the gateway is not logged in to XMPP', async () => {
    gatewayOnline = false;
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'degraded', xmpp: { online: false } });
    } finally {
      gatewayOnline = true;
    }
  });

  it('is 200 unconfigured on a first run without an XMPP account (waiting for the user, not broken)', async () => {
    gatewayConfigured = false;
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: 'unconfigured',
        xmpp: { online: false, configured: false },
      });
    } finally {
      gatewayConfigured = true;
    }
  });

  it('is ok when the gateway answers and an engine is live', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      nats: 'connected',
      xmpp: { online: true, jid: 'me@example.org/bitween' },
      engines: expect.arrayContaining([
        {
          engineId: 'e1',
          version: '0.1.0',
          endpoints: [{ address: '203.0.113.5', port: 8000 }],
          torrents: 2,
        },
        { engineId: 'e2', version: '0.1.0', endpoints: [], torrents: 0 },
      ]) as unknown,
    });
  });
});

// Last: takes the peers away.
describe('when nobody answers', () => {
  beforeAll(async () => {
    releaseSlowAdd(); // the timed-out '/slow' handler is still in flight: stop() waits for it
    await gatewayHost.stop();
    await engineHost.stop();
    await peerRegistry.withdraw('e1');
    await peerRegistry.withdraw('e2');
  });

  it('xmpp.get_shares and xmpp.get_hashes answer -32001', async () => {
    for (const m of ['xmpp.get_shares', 'xmpp.get_hashes']) {
      const r = await call(m);
      expect(r.status).toBe(200);
      expect(r.error).toMatchObject({
        code: -32001,
        message: expect.stringMatching(/^service unavailable: nobody answers xmpp\.shares/) as unknown,
        data: { code: 'unavailable' },
      });
    }
  });

  it('bt.get_torrents is an empty list and bt.add_path -32001', async () => {
    expect((await call('bt.get_torrents')).result).toEqual({ torrents: [] });
    expect((await call('bt.add_path', { path: '/data' })).error).toMatchObject({ code: -32001 });
  });

  it('Api.versions lists no services', async () => {
    expect((await call('Api.versions')).result).toMatchObject({ services: [] });
  });

  it('/health is 503 degraded', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'degraded',
      nats: 'connected',
      xmpp: { error: expect.stringMatching(/nobody answers xmpp\.status/) as unknown },
      engines: [],
    });
  });
});
