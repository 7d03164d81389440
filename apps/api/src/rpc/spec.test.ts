import { createLogger } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { method, type RpcMethod } from './method.js';
import { params } from './params.js';
import { MAX_BATCH, RpcHandler } from './server.js';

/*
 * The examples of the JSON-RPC 2.0 specification (section 7), replayed against the api's
 * handler with the spec's own methods, plus the corners the examples leave out.
 */

const calls: string[] = [];
const numbers = (p: unknown): number[] => (Array.isArray(p) ? p.filter((n) => typeof n === 'number') : []);
const specMethods: RpcMethod[] = [
  method(
    'subtract',
    params(z.strictObject({ minuend: z.number(), subtrahend: z.number() }), ['minuend', 'subtrahend']),
    ({ minuend, subtrahend }) => Promise.resolve(minuend - subtrahend),
  ),
  // Variadic by position: not expressible as a by-name spec, so a raw RpcMethod.
  { name: 'sum', call: (p) => Promise.resolve(numbers(p).reduce((a, b) => a + b, 0)) },
  {
    name: 'update',
    call: (p) => {
      calls.push(`update ${JSON.stringify(p)}`);
      return Promise.resolve(null);
    },
  },
  {
    name: 'notify_hello',
    call: (p) => {
      calls.push(`notify_hello ${JSON.stringify(p)}`);
      return Promise.resolve(null);
    },
  },
  { name: 'get_data', call: () => Promise.resolve(['hello', 5]) },
  { name: 'boom', call: () => Promise.reject(new Error('a bug')) },
];
const rpc = new RpcHandler(specMethods, createLogger('spec-test', 'silent'));
const handle = (body: unknown) => rpc.handle(typeof body === 'string' ? body : JSON.stringify(body));

describe('JSON-RPC 2.0 specification examples', () => {
  it('positional parameters', async () => {
    expect(await handle({ jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 1 })).toEqual({
      jsonrpc: '2.0',
      result: 19,
      id: 1,
    });
    expect(await handle({ jsonrpc: '2.0', method: 'subtract', params: [23, 42], id: 2 })).toEqual({
      jsonrpc: '2.0',
      result: -19,
      id: 2,
    });
  });

  it('named parameters', async () => {
    expect(
      await handle({ jsonrpc: '2.0', method: 'subtract', params: { subtrahend: 23, minuend: 42 }, id: 3 }),
    ).toEqual({ jsonrpc: '2.0', result: 19, id: 3 });
  });

  it('a notification runs and gets no answer', async () => {
    calls.length = 0;
    expect(await handle({ jsonrpc: '2.0', method: 'update', params: [1, 2, 3, 4, 5] })).toBeNull();
    expect(calls).toEqual(['update [1,2,3,4,5]']);
    // Not even an error answers a notification of an unknown method.
    expect(await handle({ jsonrpc: '2.0', method: 'foobar' })).toBeNull();
  });

  it('a non-existent method', async () => {
    expect(await handle({ jsonrpc: '2.0', method: 'foobar', id: '1' })).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'method not found: foobar' },
      id: '1',
    });
  });

  it('invalid JSON', async () => {
    expect(await handle('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32700 },
      id: null,
    });
  });

  it('an invalid request object', async () => {
    expect(await handle({ jsonrpc: '2.0', method: 1, params: 'bar' })).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32600 },
      id: null,
    });
  });

  it('a batch that is invalid JSON gets one -32700', async () => {
    const r = await handle(
      '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]',
    );
    expect(r).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
  });

  it('an empty array gets one -32600, not an array', async () => {
    expect(await handle([])).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 }, id: null });
  });

  it('an invalid batch that is not empty: one -32600 per element', async () => {
    expect(await handle([1])).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: -32600 }) as unknown, id: null }),
    ]);
    const three = await handle([1, 2, 3]);
    expect(Array.isArray(three) && three.map((r) => [r.id, r.error?.code])).toEqual([
      [null, -32600],
      [null, -32600],
      [null, -32600],
    ]);
  });

  it('a mixed batch: answers in order for every call that is not a notification', async () => {
    calls.length = 0;
    const r = await handle([
      { jsonrpc: '2.0', method: 'sum', params: [1, 2, 4], id: '1' },
      { jsonrpc: '2.0', method: 'notify_hello', params: [7] },
      { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: '2' },
      { foo: 'boo' },
      { jsonrpc: '2.0', method: 'foo.get', params: { name: 'myself' }, id: '5' },
      { jsonrpc: '2.0', method: 'get_data', id: '9' },
    ]);
    expect(r).toEqual([
      { jsonrpc: '2.0', result: 7, id: '1' },
      { jsonrpc: '2.0', result: 19, id: '2' },
      expect.objectContaining({
        jsonrpc: '2.0',
        error: expect.objectContaining({ code: -32600 }) as unknown,
        id: null,
      }),
      expect.objectContaining({
        jsonrpc: '2.0',
        error: expect.objectContaining({ code: -32601 }) as unknown,
        id: '5',
      }),
      { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
    ]);
    expect(calls).toEqual(['notify_hello [7]']);
  });

  it('a batch of notifications only: no answer at all', async () => {
    calls.length = 0;
    expect(
      await handle([
        { jsonrpc: '2.0', method: 'notify_sum', params: [1, 2, 4] },
        { jsonrpc: '2.0', method: 'notify_hello', params: [7] },
      ]),
    ).toBeNull();
    expect(calls).toEqual(['notify_hello [7]']);
  });
});

describe('JSON-RPC 2.0 corners', () => {
  it('answers a request whose id is null (discouraged, but a request, not a notification)', async () => {
    expect(await handle({ jsonrpc: '2.0', method: 'get_data', id: null })).toEqual({
      jsonrpc: '2.0',
      result: ['hello', 5],
      id: null,
    });
  });

  it('keeps string, integer and fractional ids as sent; a structured id is -32600 with id null', async () => {
    for (const id of ['abc', 0, -7, 1.5]) {
      expect(await handle({ jsonrpc: '2.0', method: 'get_data', id })).toMatchObject({ id });
    }
    expect(await handle({ jsonrpc: '2.0', method: 'get_data', id: { a: 1 } })).toMatchObject({
      id: null,
      error: { code: -32600 },
    });
  });

  it('gives -32602 for bad params and -32603 for a method that throws, without the error text', async () => {
    expect(await handle({ jsonrpc: '2.0', method: 'subtract', params: ['x', 1], id: 1 })).toMatchObject({
      id: 1,
      error: { code: -32602, message: expect.stringMatching(/^invalid params: minuend/) as unknown },
    });
    expect(await handle({ jsonrpc: '2.0', method: 'boom', id: 2 })).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32603, message: 'internal error' },
    });
    // As a notification the failure is silent.
    expect(await handle({ jsonrpc: '2.0', method: 'boom' })).toBeNull();
  });

  it('refuses a request without jsonrpc "2.0"', async () => {
    expect(await handle({ jsonrpc: 2, method: 'get_data', id: 4 })).toMatchObject({
      id: 4,
      error: { code: -32600 },
    });
    expect(await handle({ method: 'get_data', id: 5 })).toMatchObject({ id: 5, error: { code: -32600 } });
  });

  it('answers a JSON value that is not an object or array with -32600', async () => {
    for (const body of ['null', '42', '"x"', 'true']) {
      expect(await handle(body)).toMatchObject({ id: null, error: { code: -32600 } });
    }
  });

  it(`refuses a batch of more than ${MAX_BATCH} calls with one -32600`, async () => {
    const big = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({
      jsonrpc: '2.0',
      method: 'get_data',
      id: i,
    }));
    expect(await handle(big)).toMatchObject({ id: null, error: { code: -32600 } });
    const max = await handle(big.slice(0, MAX_BATCH));
    expect(Array.isArray(max) && max.length).toBe(MAX_BATCH);
  });
});
