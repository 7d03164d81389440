import { type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { natsAppDeps, overNats } from './testing/app-deps.js';
import { startNatsServer, type NatsServer } from './testing/nats-server.js';
import { startPeers, type Peers } from './testing/peers.js';

/*
 * Throws malformed input at every route of the OpenAPI document (params, query strings,
 * bodies, content types, headers), with and without the key, and checks that nothing is a
 * server error: every answer is < 500 and, outside JSON-RPC, a problem+json body when it is an
 * error. Real nats-server and stand-in services, so valid-looking calls really reach the bus.
 */

const KEY = 'fuzz-key-0123456789abcdef';
const log = createLogger('api-fuzz-test', 'silent');
let nats: NatsServer;
let nc: NatsConnection;
let peersNc: NatsConnection;
let peers: Peers;
let app: FastifyInstance;
let routes: { method: string; url: string }[];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats(nats.url, 'test-api', log);
  peersNc = await connectNats(nats.url, 'test-peers', log);
  peers = await startPeers(peersNc, log);
  // Many failed keys come from the same (injected) address: do not let the limiter answer 429 for all.
  const env = { BITWEEN_AUTH_MAX_FAILURES: '1000000', BITWEEN_DEFAULT_TIMEOUT_MS: '3000' };
  app = await buildApp(overNats(await natsAppDeps(nc, { log, apiKey: KEY, env, version: '0.0.0' })));
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  routes = Object.entries(doc.paths).flatMap(([url, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), url })),
  );
});

afterAll(async () => {
  await app?.close();
  await peers?.stop();
  await peersNc?.close();
  await nc?.close();
  await nats?.stop();
});

const segment = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('..', '%', '%00', '%zz', '0'.repeat(40), 'A'.repeat(40), 'a@b', '@', '', ' ', '__proto__'),
  fc.stringMatching(/^[0-9a-fA-F]{38,42}$/),
);
const queryValue = fc.oneof(
  fc.string(),
  fc.integer().map(String),
  fc.constantFrom('-1', '1e9', 'NaN', 'true', '', '%'),
);
const queryKey = fc.constantFrom(
  'q',
  'since',
  'timeout',
  'limit',
  'deleteData',
  'jid',
  'savePath',
  'x',
  '__proto__',
);
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 });
const jsonBody = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        path: fc.oneof(fc.string(), fc.constant('/srv/x'), fc.jsonValue()),
        hash: fc.oneof(fc.string(), fc.jsonValue()),
        magnet: fc.oneof(fc.string(), fc.constant('magnet:?xt=urn:btih:')),
        metainfo: fc.oneof(fc.base64String(), fc.jsonValue()),
        files: fc.jsonValue(),
        downloadLimit: fc.jsonValue(),
        maxActiveDownloads: fc.jsonValue(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string(),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/x-bittorrent',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json-rpc',
  '',
  '%%%',
);
const auth = fc.oneof(
  fc.constant<Record<string, string>>({ 'x-api-key': KEY }),
  fc.constant<Record<string, string>>({ authorization: `Bearer ${KEY}` }),
  fc.record({
    authorization: fc.oneof(
      fc.string(),
      fc.constantFrom('Bearer', 'Basic', 'Basic !!!', `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}`),
    ),
  }),
  fc.record({ 'x-api-key': fc.string() }),
  fc.constant<Record<string, string>>({}),
);
const extraHeaders = fc.record(
  {
    accept: fc.constantFrom('application/json', '*/*', 'text/html', ''),
    'last-event-id': fc.oneof(fc.string(), fc.integer().map(String)),
  },
  { requiredKeys: [] },
);

function fill(url: string, values: string[]): string {
  let i = 0;
  return url.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++] ?? ''));
}

describe('fuzz: malformed requests never cause a server error', () => {
  it('every route, 1500 requests', async () => {
    expect(routes.length).toBeGreaterThan(15);
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(segment, { minLength: 2, maxLength: 2 }),
        query,
        fc.option(jsonBody, { nil: undefined }),
        contentType,
        auth,
        extraHeaders,
        async (pick, params, q, body, type, authHeaders, extra) => {
          const route = routes[pick % routes.length]!;
          const search = new URLSearchParams(q);
          // A valid long poll would wait for an event: keep it short (a repeated key is a 400).
          if (route.url === '/v1/events') search.append('timeout', '0');
          const qs = search.toString();
          const url = `${fill(route.url, params)}${qs ? `?${qs}` : ''}`;
          const opts: InjectOptions = {
            method: route.method,
            url,
            headers: {
              ...authHeaders,
              ...extra,
              ...(body !== undefined && type ? { 'content-type': type } : {}),
            },
            ...(body !== undefined && route.method !== 'GET' ? { payload: body } : {}),
          };
          const res = await app.inject(opts);
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode >= 500 && !(route.url === '/health' && res.statusCode === 503)) {
            throw new Error(`${res.statusCode} for ${JSON.stringify(opts)}: ${res.body}`);
          }
          if (res.statusCode >= 400 && route.url !== '/api') {
            expect(res.headers['content-type'], `${route.method} ${url}`).toMatch(
              /^application\/problem\+json/,
            );
            expect(res.json<{ detail: string }>().detail).toBeTruthy();
          }
        },
      ),
      { numRuns: 1500 },
    );
    // The generator reached past auth and validation too (not only 401s and 400s).
    const statuses = [...seen.keys()];
    expect(statuses.some((s) => s >= 200 && s < 300)).toBe(true);
    expect(statuses).toEqual(expect.arrayContaining([400, 401, 404]));
  }, 240_000);

  it('raw garbage URLs and methods', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
        fc.string({ unit: 'binary' }),
        async (method, path) => {
          const url = `/v1/${encodeURIComponent(path)}`;
          const res = await app.inject({ method, url, headers: { 'x-api-key': KEY } });
          expect(res.statusCode, url).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});
