import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyVerifier } from './api-key.js';
import { FailureLimiter } from './failure-limiter.js';
import auth from './plugin.js';

/* The auth hooks on a bare fastify app, with their log captured (what an operator reads). */

const KEY = 'plugin-test-key-0123456789';
let app: FastifyInstance;
let lines: { level: number; msg: string }[];
let changes: number;

beforeEach(async () => {
  lines = [];
  changes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as { level: number; msg: string });
      done();
    },
  });
  const loggerInstance: FastifyBaseLogger = pino({ level: 'info' }, sink);
  app = Fastify({ loggerInstance });
  await app.register(auth, {
    verifyApiKey: apiKeyVerifier(KEY),
    limiter: new FailureLimiter({ max: 3, windowMs: 60_000 }),
  });
  // Every body type parses (as in the Transmission plugin): the refusals below are the hook's.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/change', () => ({ changed: ++changes }));
  app.post('/transmission/rpc', { config: { transmission: true } }, () => ({ changed: ++changes }));
});
afterEach(() => app.close());

const from = '198.51.100.4';
const change = (headers: Record<string, string>, url = '/change') =>
  app.inject({ method: 'POST', url, headers, remoteAddress: from });

describe('auth hooks', () => {
  it('let the owner in after a flood of wrong keys from the same address, and log the flood once', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++)
      statuses.push((await change({ 'x-api-key': `wrong-key-number-${i}` })).statusCode);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(new Set(statuses.slice(3))).toEqual(new Set([429]));
    expect(changes).toBe(0);
    expect((await change({ 'x-api-key': KEY })).statusCode).toBe(200);
    expect((await change({ authorization: `Bearer ${KEY}` })).statusCode).toBe(200);
    expect(changes).toBe(2);
    // 3 refusals at info, one warning for the other 197, nothing per request above debug.
    expect(lines.filter((l) => l.msg === 'wrong API key refused')).toHaveLength(3);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ ip: from, failures: 4 });
  });

  it('take Basic only on the Transmission route', async () => {
    const basic = `Basic ${Buffer.from(`me:${KEY}`).toString('base64')}`;
    const elsewhere = await change({ authorization: basic });
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.headers['www-authenticate']).toBe('Bearer realm="bitween"');
    const there = await change({ authorization: basic }, '/transmission/rpc');
    expect(there.statusCode).toBe(200);
    expect(changes).toBe(1);
    const none = await change({}, '/transmission/rpc');
    expect(none.headers['www-authenticate']).toBe('Basic realm="bitween"');
  });

  it('refuse form body types after authenticating, but not on the Transmission route', async () => {
    const form = { 'x-api-key': KEY, 'content-type': 'application/x-www-form-urlencoded' };
    const res = await app.inject({
      method: 'POST',
      url: '/change',
      headers: form,
      payload: 'a=b',
      remoteAddress: from,
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'unsupported_media_type' });
    const tr = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: form,
      payload: '{}',
      remoteAddress: from,
    });
    expect(tr.statusCode).toBe(200);
    expect(changes).toBe(1);
  });
});
