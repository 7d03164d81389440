import { describe, expect, it } from 'vitest';
import { RawJson, serializeOutcome } from './raw.js';

describe('serializeOutcome', () => {
  const raw = new RawJson('{"torrents":[{"name":"a \\"b\\""}]}');

  it('splices pre-serialised results in, keeping the id', () => {
    const body = serializeOutcome({ jsonrpc: '2.0', id: 'x"1', result: raw });
    expect(JSON.parse(body)).toEqual({
      jsonrpc: '2.0',
      id: 'x"1',
      result: { torrents: [{ name: 'a "b"' }] },
    });
  });

  it('serialises batches of raw, plain and error responses', () => {
    const body = serializeOutcome([
      { jsonrpc: '2.0', id: 1, result: raw },
      { jsonrpc: '2.0', id: null, result: true },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'method not found: x' } },
    ]);
    expect(JSON.parse(body)).toEqual([
      { jsonrpc: '2.0', id: 1, result: { torrents: [{ name: 'a "b"' }] } },
      { jsonrpc: '2.0', id: null, result: true },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'method not found: x' } },
    ]);
  });

  it('is still correct when serialised the ordinary way', () => {
    expect(JSON.parse(JSON.stringify({ result: raw }))).toEqual({
      result: { torrents: [{ name: 'a "b"' }] },
    });
  });
});
