import { JSONRPCErrorException } from 'json-rpc-2.0';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normaliseHash } from '../core/hash.js';
import { absolutePath, infoHash, noParams, optionalAbsolutePath, params, parseParams } from './params.js';

const H = '3f786850e387550fdab836ed7e6dc881de23001b';

function thrown(fn: () => unknown): JSONRPCErrorException {
  try {
    fn();
  } catch (err) {
    if (err instanceof JSONRPCErrorException) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('normaliseHash', () => {
  it('trims and lowercases', () => {
    expect(normaliseHash(`  ${H.toUpperCase()}\n`)).toBe(H);
  });

  it('takes the info-hash out of a magnet link', () => {
    expect(normaliseHash(`magnet:?xt=urn:btih:${H.toUpperCase()}`)).toBe(H);
    expect(normaliseHash(`magnet:?dn=holiday&xt=urn:btih:${H}&tr=udp%3A%2F%2Fx`)).toBe(H);
  });

  it('leaves anything else for the schema to reject', () => {
    expect(normaliseHash('magnet:?xt=urn:sha1:abc')).toBe('magnet:?xt=urn:sha1:abc');
    expect(normaliseHash('XYZ')).toBe('xyz');
  });
});

const Spec = params(z.strictObject({ hash: infoHash(), save_path: optionalAbsolutePath() }), [
  'hash',
  'save_path',
]);

describe('parseParams', () => {
  it('accepts params by name and by position', () => {
    expect(parseParams(Spec, { hash: H, save_path: '/data' })).toEqual({ hash: H, save_path: '/data' });
    expect(parseParams(Spec, [H, '/data'])).toEqual({ hash: H, save_path: '/data' });
    expect(parseParams(Spec, [`magnet:?xt=urn:btih:${H}`])).toMatchObject({ hash: H });
  });

  it('treats null and "" as an absent optional path', () => {
    expect(parseParams(Spec, { hash: H, save_path: null }).save_path).toBeUndefined();
    expect(parseParams(Spec, { hash: H, save_path: '' }).save_path).toBeUndefined();
  });

  it('names the failing field in -32602 with the issues in data', () => {
    const e = thrown(() => parseParams(Spec, { hash: 'xyz' }));
    expect(e.code).toBe(-32602);
    expect(e.message).toMatch(/^invalid params: hash: must be a BitTorrent v1 info-hash/);
    expect(e.data).toEqual({
      issues: [{ path: 'hash', message: expect.stringMatching(/info-hash/) as unknown }],
    });
  });

  it('says a missing param is required', () => {
    expect(thrown(() => parseParams(Spec, {})).message).toBe('invalid params: hash: is required');
    expect(thrown(() => parseParams(Spec, undefined)).message).toBe('invalid params: hash: is required');
  });

  it('refuses unknown params and too many positional ones', () => {
    expect(thrown(() => parseParams(Spec, { hash: H, dest: '/x' })).message).toMatch(/dest/);
    expect(thrown(() => parseParams(Spec, [H, '/a', 'extra'])).message).toMatch(
      /at most 2 \(hash, save_path\)/,
    );
    expect(thrown(() => parseParams(noParams, [1])).message).toMatch(/takes no params/);
  });

  it('accepts no params as absent, {} or []', () => {
    for (const raw of [undefined, {}, []]) expect(parseParams(noParams, raw)).toEqual({});
  });
});

describe('absolutePath', () => {
  it('wants an absolute path without NUL', () => {
    const P = absolutePath();
    expect(P.safeParse('/srv/data').success).toBe(true);
    for (const bad of ['data', './data', '', '/a\0b', 5]) expect(P.safeParse(bad).success).toBe(false);
  });
});
