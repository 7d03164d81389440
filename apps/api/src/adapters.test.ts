import { createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadApiConfig } from './config.js';
import { CoreError, type CoreErrorCode } from './core/errors.js';
import { fakeCore, type FakeCore } from './testing/fake-core.js';
import { HELD, OFFERED } from './testing/peers.js';

/*
 * The unit tier of the front-ends: the real app (routes, schemas, auth, OpenAPI, the three
 * adapters) over an in-memory fake of the core, no nats-server. What it checks is the adapters'
 * own job: each maps every core error in its one place, and a bug is never passed off as one.
 */

const KEY = 'adapters-test-api-key-0123';
const log = createLogger('api-adapters-test', 'silent');
let core: FakeCore;
let app: FastifyInstance;

beforeAll(async () => {
  core = fakeCore();
  app = await buildApp({
    core,
    log,
    config: loadApiConfig({ BITWEEN_WEB_DIR: 'off' }),
    version: '9.9.9',
    apiKey: KEY,
  });
});

afterAll(async () => {
  await app?.close();
});

const headers = { 'x-api-key': KEY };

async function rest(hash: string) {
  const res = await app.inject({ method: 'POST', url: '/v1/torrents', headers, payload: { hash } });
  return { status: res.statusCode, body: res.json<{ code: string; detail: string }>() };
}

async function rpc(hash: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/api',
    headers,
    payload: { jsonrpc: '2.0', id: 7, method: 'bt.add_torrent_by_hash', params: { hash } },
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ error: { code: number; message: string; data?: { code: string } } }>().error;
}

let sessionId = '';
async function tr(hash: string) {
  const send = () =>
    app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { ...headers, 'x-transmission-session-id': sessionId },
      payload: JSON.stringify({ method: 'torrent-add', arguments: { filename: hash } }),
    });
  let res = await send();
  if (res.statusCode === 409) {
    sessionId = String(res.headers['x-transmission-session-id']);
    res = await send();
  }
  expect(res.statusCode).toBe(200);
  return res.json<{ result: string }>().result;
}

describe('without a nats-server', () => {
  it('serves the OpenAPI document of every /v1 route', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/torrents', '/v1/torrents/{hash}', '/v1/settings', '/v1/status']),
    );
  });

  it('answers through the core: a listing, an idempotent add, a removal', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/torrents', headers });
    expect(list.json()).toMatchObject({ total: 1, torrents: [{ hash: HELD }] });
    expect((await rest(HELD)).status).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/v1/torrents/${HELD}`, headers })).statusCode).toBe(
      204,
    );
    expect(core.held.has(HELD)).toBe(false);
  });
});

/** Each core error code as each front-end says it. */
const mapping: [CoreErrorCode, { status: number; problem: string; rpc: number; prefix: string }][] = [
  ['invalid_request', { status: 400, problem: 'bad_request', rpc: -32602, prefix: 'invalid params: ' }],
  ['not_found', { status: 404, problem: 'not_found', rpc: -32004, prefix: '' }],
  ['conflict', { status: 409, problem: 'conflict', rpc: -32009, prefix: '' }],
  ['too_large', { status: 413, problem: 'payload_too_large', rpc: -32602, prefix: 'invalid params: ' }],
  ['failed', { status: 422, problem: 'failed', rpc: -32010, prefix: '' }],
  ['internal', { status: 500, problem: 'internal', rpc: -32603, prefix: 'internal error: ' }],
  ['invalid_reply', { status: 502, problem: 'invalid_reply', rpc: -32603, prefix: 'internal error: ' }],
  ['unavailable', { status: 503, problem: 'unavailable', rpc: -32001, prefix: 'service unavailable: ' }],
  ['timeout', { status: 504, problem: 'timeout', rpc: -32002, prefix: 'timeout: ' }],
];

describe('one error vocabulary, mapped once per front-end', () => {
  it.each(mapping)('%s', async (code, want) => {
    core.torrents.addHash = () => Promise.reject(new CoreError(code, `the engine says ${code}`));
    const r = await rest(OFFERED);
    expect(r.status).toBe(want.status);
    const restPrefix = code === 'unavailable' || code === 'timeout' ? want.prefix : '';
    expect(r.body).toMatchObject({ code: want.problem, detail: `${restPrefix}the engine says ${code}` });
    expect(await rpc(OFFERED)).toEqual({
      code: want.rpc,
      message: `${want.prefix}the engine says ${code}`,
      data: { code },
    });
    const trPrefix = code === 'unavailable' ? 'service unavailable: ' : '';
    expect(await tr(OFFERED)).toBe(`torrent-add: ${trPrefix}the engine says ${code}`);
  });

  it('a bug (anything but a CoreError) is an internal error everywhere, its text not passed on', async () => {
    core.torrents.addHash = () => Promise.reject(new TypeError('secret detail of a bug'));
    const r = await rest(OFFERED);
    expect(r.status).toBe(500);
    expect(r.body.detail).not.toContain('secret');
    expect(await rpc(OFFERED)).toEqual({ code: -32603, message: 'internal error' });
    expect(await tr(OFFERED)).toBe('internal error');
  });
});
