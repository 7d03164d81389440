import { EngineRegistry, SettingsStore, type NatsConnection } from '@bitween/bus';
import { createLogger } from '@bitween/runtime';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { overNats, startNatsWithPeers, type NatsAppDeps, type NatsWithPeers } from './testing/app-deps.js';
import { HELD, OFFERED, type Peers } from './testing/peers.js';

/*
 * The REST api (`/v1`) through inject() against a real nats-server, with stand-in engine and
 * gateway services speaking the real contracts on it. Nothing of the api is mocked.
 */

const KEY = 'test-key-0123456789abcdef';
const log = createLogger('api-rest-test', 'silent');
const limits = { maxAgeMs: 600_000, maxEvents: 10_000, maxBytes: 8 << 20 };

let world: NatsWithPeers;
let peersNc: NatsConnection;
let peers: Peers;
let deps: NatsAppDeps;
let app: FastifyInstance;

beforeAll(async () => {
  world = await startNatsWithPeers({
    log,
    apiKey: KEY,
    eventLimits: limits,
    // No listing cache: every call asks the stand-ins (the cache is tested in core/cache/views.test.ts).
    env: { BITWEEN_DEFAULT_TIMEOUT_MS: '3000', BITWEEN_AUTH_MAX_FAILURES: '5', BITWEEN_API_CACHE_MS: '0' },
  });
  ({ peersNc, peers, deps } = world);
  app = await buildApp(overNats(deps));
});

afterAll(async () => {
  await app?.close();
  await world?.close();
});

type Opts = Omit<InjectOptions, 'method' | 'url'> & { key?: string | null };
async function req(method: InjectOptions['method'], url: string, opts: Opts = {}) {
  const { key = KEY, headers = {}, ...rest } = opts;
  return app.inject({ method, url, headers: { ...(key ? { 'x-api-key': key } : {}), ...headers }, ...rest });
}
const get = (url: string, opts?: Opts) => req('GET', url, opts);

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json<T>(): T },
  status: number,
) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<{ status: number; detail: string; code: string; issues?: { path: string }[] }>();
  expect(body.status).toBe(status);
  expect(body.detail.length).toBeGreaterThan(5);
  return body;
}

describe('auth', () => {
  it('takes the key as X-API-Key or Authorization: Bearer', async () => {
    expect((await get('/v1/torrents')).statusCode).toBe(200);
    const bearer = await get('/v1/torrents', { key: null, headers: { authorization: `Bearer ${KEY}` } });
    expect(bearer.statusCode).toBe(200);
  });

  it('refuses a request without or with a wrong key: 401 problem, WWW-Authenticate', async () => {
    const none = await get('/v1/torrents', { key: null });
    expect(expectProblem(none, 401).detail).toMatch(/missing API key/);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="bitween"');
    expect(expectProblem(await get('/v1/torrents', { key: 'wrong-key-wrong-key' }), 401).detail).toMatch(
      /wrong API key/,
    );
  });

  it('leaves /health and the documentation open', async () => {
    expect((await get('/health', { key: null })).statusCode).toBe(200);
    expect((await get('/openapi.json', { key: null })).statusCode).toBe(200);
  });

  it('answers wrong keys from an address that failed too often with 429; the right key still passes', async () => {
    const from = { remoteAddress: '192.0.2.77' };
    for (let i = 0; i < 5; i++) {
      expect((await get('/v1/status', { key: 'guess-guess-guess-' + i, ...from })).statusCode).toBe(401);
    }
    for (let i = 0; i < 20; i++) {
      const blocked = await get('/v1/status', { key: 'more-guesses-' + i, ...from });
      expectProblem(blocked, 429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The owner (the same address: every local client is 127.0.0.1) is never locked out.
    expect((await get('/v1/status', from)).statusCode).toBe(200);
    const bearer = await get('/v1/status', {
      ...from,
      key: null,
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(bearer.statusCode).toBe(200);
    // A request without a key is still told what is missing.
    expect(expectProblem(await get('/v1/status', { key: null, ...from }), 401).detail).toMatch(/missing/);
    // Other addresses are not affected.
    expect(
      (await get('/v1/status', { key: 'wrong-key-wrong-key', remoteAddress: '192.0.2.78' })).statusCode,
    ).toBe(401);
  });

  it('does not count requests without credentials (clients that negotiate auth send those first)', async () => {
    const from = { remoteAddress: '192.0.2.79' };
    for (let i = 0; i < 8; i++)
      expect((await get('/v1/status', { key: null, ...from })).statusCode).toBe(401);
    expect((await get('/v1/status', from)).statusCode).toBe(200);
  });

  it('answers unknown routes with a 404 problem (after auth)', async () => {
    expectProblem(await get('/v1/nope', { key: null }), 401);
    expect(expectProblem(await get('/v1/nope'), 404).detail).toMatch(/no route GET \/v1\/nope/);
  });
});

describe('CORS', () => {
  it('is off by default', async () => {
    const res = await req('OPTIONS', '/v1/torrents', {
      key: null,
      headers: { origin: 'https://ui.example', 'access-control-request-method': 'GET' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows the configured origins', async () => {
    const cors = await buildApp(
      overNats({
        ...deps,
        config: { ...deps.config, BITWEEN_API_CORS_ORIGINS: ['https://ui.example'] },
      }),
    );
    try {
      const pre = await cors.inject({
        method: 'OPTIONS',
        url: '/v1/torrents',
        headers: {
          origin: 'https://ui.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'x-api-key',
        },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('https://ui.example');
      expect(String(pre.headers['access-control-allow-headers'])).toMatch(/x-api-key/);
      const other = await cors.inject({
        method: 'GET',
        url: '/v1/torrents',
        headers: { origin: 'https://evil.example', 'x-api-key': KEY },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.close();
    }
  });
});

describe('requests a web page on another origin could make the browser send', () => {
  const basic = (password: string) => `Basic ${Buffer.from(`me:${password}`).toString('base64')}`;
  const pause = `/v1/torrents/${HELD}/pause`;
  const state = () => peers.torrents.get(HELD)!.state;

  it('refuses Basic auth with the right key outside the Transmission endpoint, without checking or counting it', async () => {
    const before = state();
    const from = { remoteAddress: '192.0.2.90' };
    for (let i = 0; i < 8; i++) {
      const res = await req('POST', pause, { key: null, headers: { authorization: basic(KEY) }, ...from });
      expect(expectProblem(res, 401).detail).toMatch(/Basic auth is accepted only on \/transmission\/rpc/);
      // No browser login prompt: the challenge is Bearer.
      expect(res.headers['www-authenticate']).toBe('Bearer realm="bitween"');
    }
    expect(state()).toBe(before);
    expectProblem(await get('/v1/torrents', { key: null, headers: { authorization: basic(KEY) } }), 401);
    const rpc = await req('POST', '/api', {
      key: null,
      headers: { authorization: basic(KEY), 'content-type': 'application/json' },
      payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bt.del_torrent', params: { hash: HELD } }),
    });
    expect(rpc.statusCode).toBe(401);
    expect(rpc.json()).toMatchObject({ error: { code: -32000 } });
    expect(peers.torrents.has(HELD)).toBe(true);
    // Not counted as guesses: the address is not over its limit.
    expect((await req('POST', pause, { key: 'wrong-key-wrong-key', ...from })).statusCode).toBe(401);
  });

  it('refuses form body types on state-changing routes even with the key (415), and changes nothing', async () => {
    const before = state();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await req('POST', pause, { headers: { 'content-type': type }, payload: 'a=b' });
      expect(expectProblem(res, 415).code).toBe('unsupported_media_type');
    }
    expectProblem(
      await req('DELETE', `/v1/torrents/${HELD}`, {
        headers: { 'content-type': 'text/plain' },
        payload: 'x',
      }),
      415,
    );
    expectProblem(
      await req('PATCH', '/v1/settings', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'uploadLimit=1',
      }),
      415,
    );
    const rpc = await req('POST', '/api', {
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bt.del_torrent', params: { hash: HELD } }),
    });
    expect(rpc.statusCode).toBe(415);
    expect(state()).toBe(before);
    expect(peers.torrents.has(HELD)).toBe(true);
  });

  it('refuses them without the key first (401, nothing about the body type)', async () => {
    const res = await req('POST', pause, {
      key: null,
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expectProblem(res, 401);
  });

  it('takes body-less and JSON requests with the key in a header (what the web UI and CLI send)', async () => {
    expect((await req('POST', pause)).statusCode).toBe(200);
    expect((await req('POST', `/v1/torrents/${HELD}/resume`, { headers: {} })).statusCode).toBe(200);
    const json = await req('POST', `/v1/torrents/${HELD}/pause`, {
      key: null,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(200);
    await req('POST', `/v1/torrents/${HELD}/resume`);
  });

  it('CORS, even open to any origin, grants neither credentials nor the Transmission session header', async () => {
    const open = await buildApp(
      overNats({ ...deps, config: { ...deps.config, BITWEEN_API_CORS_ORIGINS: ['*'] } }),
    );
    try {
      const pre = await open.inject({
        method: 'OPTIONS',
        url: '/transmission/rpc',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-transmission-session-id',
        },
      });
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(pre.headers['access-control-allow-headers'] ?? '')).not.toMatch(
        /x-transmission-session-id/i,
      );
      // A simple (form) POST with remembered Basic credentials gets the handshake, never an answer.
      const simple = await open.inject({
        method: 'POST',
        url: '/transmission/rpc',
        headers: {
          origin: 'https://evil.example',
          authorization: basic(KEY),
          'content-type': 'text/plain',
        },
        payload: JSON.stringify({ method: 'torrent-remove', arguments: { ids: [HELD] } }),
      });
      expect(simple.statusCode).toBe(409);
      expect(simple.headers['access-control-expose-headers']).toBeUndefined();
      expect(simple.body).not.toContain(String(simple.headers['x-transmission-session-id']));
      expect(peers.torrents.has(HELD)).toBe(true);
    } finally {
      await open.close();
    }
  });
});

describe('/v1/torrents', () => {
  it('lists and gets torrents (any case hash)', async () => {
    const list = await get('/v1/torrents');
    expect(list.json<{ torrents: { hash: string }[] }>().torrents.map((t) => t.hash)).toContain(HELD);
    const one = await get(`/v1/torrents/${HELD.toUpperCase()}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ hash: HELD, name: 'holiday', engineId: 'e1' });
  });

  it('filters, sorts and pages on request, with the same shape as the whole list', async () => {
    const whole = (await get('/v1/torrents')).json<{
      torrents: { hash: string; name: string | null }[];
      total: number;
    }>();
    expect(whole.total).toBe(whole.torrents.length);
    const named = (await get('/v1/torrents?q=HOLI&sort=name&order=asc&offset=0&limit=5')).json<{
      torrents: { hash: string }[];
      total: number;
    }>();
    expect(named.torrents.map((t) => t.hash)).toContain(HELD);
    expect(named.total).toBe(named.torrents.length);
    const page = (await get('/v1/torrents?limit=1')).json<{ torrents: unknown[]; total: number }>();
    expect(page.torrents).toHaveLength(Math.min(1, whole.total));
    expect(page.total).toBe(whole.total);
    expect((await get('/v1/torrents?state=error')).json()).toEqual({ torrents: [], total: 0 });
    const bad = expectProblem(await get('/v1/torrents?sort=colour'), 400);
    expect(bad.detail).toMatch(/querystring\.sort/);
    expectProblem(await get('/v1/torrents?limit=0'), 400);
  });

  it('404s a hash no engine holds, 400s a malformed one naming the field', async () => {
    expect(expectProblem(await get(`/v1/torrents/${'0'.repeat(40)}`), 404).code).toBe('not_found');
    const bad = expectProblem(await get('/v1/torrents/xyz'), 400);
    expect(bad.issues?.[0]?.path).toBe('params.hash');
    expect(bad.detail).toMatch(/params\.hash: must be a BitTorrent v1 info-hash/);
  });

  it('adds by path (201), passing the engine reason on failure', async () => {
    const res = await req('POST', '/v1/torrents', { payload: { path: '/srv/share/movie' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ created: true, torrent: { name: 'movie' } });
    const missing = expectProblem(
      await req('POST', '/v1/torrents', { payload: { path: '/missing/x' } }),
      404,
    );
    expect(missing.detail).toMatch(/no such file/);
    expectProblem(await req('POST', '/v1/torrents', { payload: { path: 'relative/x' } }), 400);
  });

  it('adds by hash, idempotently', async () => {
    const first = await req('POST', '/v1/torrents', {
      payload: { hash: OFFERED.toUpperCase(), savePath: '/dl/x' },
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ created: true, torrent: { hash: OFFERED, savePath: '/dl/x' } });
    const again = await req('POST', '/v1/torrents', { payload: { hash: OFFERED } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, torrent: { hash: OFFERED } });
  });

  it('adds by magnet link and by .torrent (base64 or the raw file)', async () => {
    const magnet = `magnet:?xt=urn:btih:${'f'.repeat(40)}&dn=x&tr=udp://tracker.example:80`;
    const m = await req('POST', '/v1/torrents', { payload: { magnet } });
    expect(m.statusCode).toBe(201);
    expect(m.json()).toMatchObject({ torrent: { hash: 'f'.repeat(40) } });
    expectProblem(await req('POST', '/v1/torrents', { payload: { magnet: 'magnet:?dn=nohash' } }), 400);

    const metainfo = Buffer.from('d4:infod4:name1:xee').toString('base64');
    expect((await req('POST', '/v1/torrents', { payload: { metainfo } })).statusCode).toBe(201);
    const upload = await req('POST', '/v1/torrents/upload?savePath=/dl', {
      headers: { 'content-type': 'application/x-bittorrent' },
      payload: Buffer.from('d4:infod4:name1:xee'),
    });
    expect(upload.statusCode).toBe(201);
    expect(upload.json()).toMatchObject({ torrent: { savePath: '/dl' } });
    const notTorrent = await req('POST', '/v1/torrents/upload', {
      headers: { 'content-type': 'application/x-bittorrent' },
      payload: Buffer.from('hello'),
    });
    expect(expectProblem(notTorrent, 400).detail).toMatch(/bencoded/);
  });

  it('takes a .torrent as a multipart/form-data file (browsers), refusing broken or oversized ones', async () => {
    const form = (content: Buffer) =>
      Buffer.concat([
        Buffer.from('--XyZ\r\ncontent-disposition: form-data; name="torrent"; filename="a.torrent"\r\n'),
        Buffer.from('content-type: application/x-bittorrent\r\n\r\n'),
        content,
        Buffer.from('\r\n--XyZ--\r\n'),
      ]);
    const headers = { 'content-type': 'multipart/form-data; boundary=XyZ' };
    const ok = await req('POST', '/v1/torrents/upload?savePath=/dl/form', {
      headers,
      payload: form(Buffer.from('d4:infod4:name1:xee')),
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ torrent: { savePath: '/dl/form' } });
    const big = await req('POST', '/v1/torrents/upload', {
      headers,
      payload: form(Buffer.alloc(800 * 1024, 0x61)),
    });
    expect(expectProblem(big, 413).detail).toMatch(/at most/);
    expectProblem(await req('POST', '/v1/torrents/upload', { headers, payload: '--XyZ\r\ngarbage' }), 400);
    expectProblem(await req('POST', '/v1/torrents/upload', { headers, payload: '--XyZ--\r\n' }), 400);
    // Other routes do not take multipart bodies (a form could send them).
    expectProblem(await req('POST', '/v1/torrents', { headers, payload: form(Buffer.from('x')) }), 415);
  });

  it('refuses a body that is none of path/hash/magnet/metainfo', async () => {
    const res = expectProblem(
      await req('POST', '/v1/torrents', { payload: { path: '/a', hash: OFFERED } }),
      400,
    );
    expect(res.detail).toBe(
      'invalid request: body: name only one of path, hash, magnet, metainfo (got path, hash)',
    );
    expect(expectProblem(await req('POST', '/v1/torrents', { payload: {} }), 400).detail).toMatch(
      /name what to add/,
    );
    expectProblem(
      await req('POST', '/v1/torrents', {
        payload: '{not json',
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    expectProblem(
      await req('POST', '/v1/torrents', { payload: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
    const xml = await req('POST', '/v1/torrents', {
      payload: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(expectProblem(xml, 415).code).toBe('unsupported_media_type');
  });

  it('pauses and resumes', async () => {
    expect((await req('POST', `/v1/torrents/${HELD}/pause`)).json()).toMatchObject({
      torrent: { state: 'paused' },
    });
    expect((await req('POST', `/v1/torrents/${HELD}/resume`)).json()).toMatchObject({
      torrent: { state: 'seeding' },
    });
    expectProblem(await req('POST', `/v1/torrents/${'0'.repeat(40)}/pause`), 404);
  });

  it('selects files and sets limits', async () => {
    const files = await req('PATCH', `/v1/torrents/${HELD}/files`, {
      payload: { files: [{ index: 1, wanted: false }] },
    });
    expect(
      files.json<{ torrent: { files: { wanted: boolean }[] } }>().torrent.files.map((f) => f.wanted),
    ).toEqual([true, false]);
    expect(
      expectProblem(
        await req('PATCH', `/v1/torrents/${HELD}/files`, {
          payload: { files: [{ index: 9, wanted: true }] },
        }),
        400,
      ).detail,
    ).toMatch(/files\.9/);
    expectProblem(await req('PATCH', `/v1/torrents/${HELD}/files`, { payload: { files: [] } }), 400);
    const prio = await req('PATCH', `/v1/torrents/${HELD}/files`, {
      payload: { files: [{ index: 0, priority: 'high' }] },
    });
    expect(prio.json()).toMatchObject({
      torrent: {
        files: [
          { priority: 'high', wanted: true },
          { priority: 'normal', wanted: false },
        ],
      },
    });
    // A file change names wanted and/or priority; a priority Transmission does not have is refused.
    expectProblem(
      await req('PATCH', `/v1/torrents/${HELD}/files`, { payload: { files: [{ index: 0 }] } }),
      400,
    );
    expectProblem(
      await req('PATCH', `/v1/torrents/${HELD}/files`, {
        payload: { files: [{ index: 0, priority: 'top' }] },
      }),
      400,
    );
    const lim = await req('PATCH', `/v1/torrents/${HELD}/limits`, {
      payload: { downloadLimit: 1000, uploadLimit: null },
    });
    expect(lim.json()).toMatchObject({ torrent: { downloadLimit: 1000, uploadLimit: null } });
    expectProblem(await req('PATCH', `/v1/torrents/${HELD}/limits`, { payload: {} }), 400);
    expectProblem(await req('PATCH', `/v1/torrents/${HELD}/limits`, { payload: { downloadLimit: -5 } }), 400);
  });

  it('removes, with or without data', async () => {
    const res = await req('DELETE', `/v1/torrents/${OFFERED}?deleteData=true`);
    expect(res.statusCode).toBe(204);
    expect(peers.torrents.has(OFFERED)).toBe(false);
    expectProblem(await req('DELETE', `/v1/torrents/${OFFERED}`), 404);
    expectProblem(await req('DELETE', `/v1/torrents/${HELD}?deleteData=maybe`), 400);
  });
});

describe('/v1/browse (the path picker)', () => {
  it('lists the share roots, then a folder below one', async () => {
    const roots = await get('/v1/browse');
    expect(roots.statusCode).toBe(200);
    expect(roots.json()).toMatchObject({
      path: null,
      roots: ['/srv'],
      entries: [{ name: '/srv', type: 'dir' }],
    });
    const srv = await get('/v1/browse?path=/srv');
    expect(srv.json()).toMatchObject({
      path: '/srv',
      parent: null,
      entries: [
        { name: 'music', type: 'dir', size: null },
        { name: 'song.ogg', type: 'file', size: 42 },
      ],
    });
  });

  it('passes the engine refusal of a path outside the roots (422), refuses relative paths (400)', async () => {
    expect(expectProblem(await get('/v1/browse?path=/etc'), 422).detail).toMatch(/outside the share roots/);
    expect(expectProblem(await get('/v1/browse?path=srv/../etc'), 400).issues?.[0]?.path).toBe(
      'querystring.path',
    );
  });

  it('needs the key', async () => {
    expectProblem(await get('/v1/browse', { key: null }), 401);
  });
});

describe("friends' shares, contacts, subscriptions", () => {
  it('lists every share once with all its sources', async () => {
    const res = await get('/v1/shares');
    const shares = res.json<{ shares: { hash: string; sources: { jid: string; online: boolean }[] }[] }>()
      .shares;
    expect(shares.find((s) => s.hash === OFFERED)?.sources).toEqual([
      { jid: 'alice@example.org', resource: 'laptop', online: true },
      { jid: 'carol@example.org', resource: 'nas', online: false },
    ]);
    const carol = (await get('/v1/shares?jid=carol@example.org')).json<{ shares: unknown[] }>().shares;
    expect(carol).toHaveLength(1);
  });

  it('searches by name (all words, any case) and hash prefix', async () => {
    const hit = (await get('/v1/search?q=photos%20HOLIDAY')).json<{ shares: { name: string }[] }>();
    expect(hit.shares.map((s) => s.name)).toEqual(['Holiday Photos 2024']);
    expect((await get('/v1/search?q=cccccc')).json<{ shares: { name: string }[] }>().shares[0]?.name).toBe(
      'backup.tar',
    );
    expect((await get('/v1/search?q=nothing-like-it')).json()).toEqual({ shares: [] });
    expect(expectProblem(await get('/v1/search'), 400).detail).toMatch(/querystring\.q/);
    expectProblem(await get('/v1/search?q=%20%20'), 400);
  });

  it("gives one contact's list, 404 for one never heard of", async () => {
    const res = await get('/v1/contacts/alice@example.org/shares');
    expect(res.json()).toMatchObject({
      jid: 'alice@example.org',
      resources: [{ resource: 'laptop', online: true }],
    });
    expectProblem(await get('/v1/contacts/zed@example.org/shares'), 404);
    expectProblem(await get('/v1/contacts/not-a-jid/shares'), 400);
  });

  it('lists contacts with their online state', async () => {
    const res = await get('/v1/contacts');
    expect(res.json()).toEqual({
      contacts: [
        { ...peers.contacts[0], shares: 2 },
        { ...peers.contacts[1], shares: 1 },
      ],
    });
  });

  it('approves and denies pending requests', async () => {
    expect((await get('/v1/subscriptions')).json()).toEqual({
      pending: [{ jid: 'dave@example.org', receivedAt: 1700000000000 }],
    });
    const ok = await req('POST', '/v1/subscriptions/dave@example.org/approve');
    expect(ok.json()).toEqual({ jid: 'dave@example.org', approved: true });
    expect(peers.approved).toEqual(['dave@example.org']);
    expectProblem(await req('POST', '/v1/subscriptions/dave@example.org/deny'), 404);
  });
});

describe('/v1/settings and /v1/status', () => {
  it('reads and changes the engine settings in the KV bucket', async () => {
    expect((await get('/v1/settings')).json()).toEqual({
      downloadLimit: null,
      uploadLimit: null,
      maxActiveDownloads: null,
    });
    const res = await req('PATCH', '/v1/settings', { payload: { maxActiveDownloads: 3 } });
    expect(res.json()).toEqual({ downloadLimit: null, uploadLimit: null, maxActiveDownloads: 3 });
    const stored = await (await SettingsStore.open(peersNc, log)).engine();
    expect(stored.maxActiveDownloads).toBe(3);
    expectProblem(await req('PATCH', '/v1/settings', { payload: { maxActiveDownloads: 0 } }), 400);
    expectProblem(await req('PATCH', '/v1/settings', { payload: { colour: 'red' } }), 400);
  });

  it('reports the daemon status', async () => {
    const res = await get('/v1/status');
    expect(res.json()).toMatchObject({
      version: '9.9.9',
      nats: 'connected',
      xmpp: { online: true, jid: 'me@example.org/bitween' },
      engines: [{ engineId: 'e1' }],
      events: { lastId: expect.any(Number) as unknown },
    });
  });

  it("reports each engine's reachability, port mapping, IPv6 pinhole, connections and admission (null from older engines)", async () => {
    const registry = await EngineRegistry.open(peersNc, log);
    const reachability = {
      verdict: 'hole-punching' as const,
      publicAddresses: ['2001:db8::5'],
      ipv6: ['2001:db8::5'],
      stun: true,
      turn: true,
      since: 1_700_000_000_000,
    };
    const portMapping = {
      state: 'unavailable' as const,
      protocol: 'upnp-igd' as const,
      external: null,
      internalPort: 51413,
      expiresAt: null,
      lastError: 'no gateway answered',
      since: 1_700_000_000_000,
    };
    const pinhole = {
      state: 'mapped' as const,
      protocol: 'pcp' as const,
      external: { address: '2001:db8::5', port: 51413 },
      internalPort: 51413,
      expiresAt: 1_700_003_600_000,
      lastError: null,
      since: 1_700_000_000_000,
    };
    const second = { ...pinhole, external: { address: '2001:db8:2::5', port: 51413 } };
    const connections = { tcpDirect: 3, tcpMapped: 0, webrtcDirect: 2, webrtcRelayed: 1 };
    const admission = { admitted: 5, refused: { 'bad-proof': 1 } };
    await registry.announce({
      engineId: 'e2',
      version: '0.2.0',
      endpoints: [],
      torrents: [],
      heartbeatMs: 60_000,
      reachability,
      portMapping,
      pinhole,
      pinholes: [pinhole, second],
      connections,
      admission,
    });
    try {
      const { engines } = (await get('/v1/status')).json<{ engines: Record<string, unknown>[] }>();
      expect(engines.find((e) => e['engineId'] === 'e2')).toMatchObject({
        reachability,
        portMapping,
        pinhole,
        pinholes: [pinhole, second],
        connections,
        admission,
      });
      expect(engines.find((e) => e['engineId'] === 'e1')).toMatchObject({
        reachability: null,
        portMapping: null,
        pinhole: null,
        pinholes: [],
        connections: null,
        admission: null,
      });
    } finally {
      await registry.withdraw('e2');
    }
  });
});

// Last: takes the services away.
describe('when nobody answers on NATS', () => {
  beforeAll(async () => {
    await peers.stop();
  });

  it('answers 503 problems naming the missing service', async () => {
    const contacts = expectProblem(await get('/v1/contacts'), 503);
    expect(contacts.code).toBe('unavailable');
    expect(contacts.detail).toMatch(/^service unavailable: nobody answers xmpp\.contacts/);
    expectProblem(await get('/v1/search?q=x'), 503);
    expectProblem(await req('POST', '/v1/torrents', { payload: { path: '/srv/x' } }), 503);
    expectProblem(await req('POST', '/v1/subscriptions/dave@example.org/approve'), 503);
  });

  it('lists no torrents when no engine is live, and 404s one', async () => {
    expect((await get('/v1/torrents')).json()).toEqual({ torrents: [], total: 0 });
    expectProblem(await req('POST', `/v1/torrents/${HELD}/pause`), 404);
  });

  it('still reports a status', async () => {
    expect((await get('/v1/status')).json()).toMatchObject({
      xmpp: { error: expect.any(String) as unknown },
      engines: [],
    });
  });
});
