import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decode, decodeReply, encodeError, encodeJson, validate } from './codec.js';
import { BusError } from './errors.js';

const Schema = z.object({ hash: z.string().length(3), n: z.number().int() });
const bytes = (s: string) => new TextEncoder().encode(s);

describe('decode', () => {
  it('returns the parsed value for a valid payload', () => {
    expect(decode(Schema, encodeJson({ hash: 'abc', n: 1 }))).toEqual({
      ok: true,
      value: { hash: 'abc', n: 1 },
    });
  });

  it('names every failing field', () => {
    const r = decode(Schema, encodeJson({ hash: 'toolong', n: 1.5 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_request');
    expect(r.error.issues?.map((i) => i.path)).toEqual(['hash', 'n']);
    expect(r.error.message).toMatch(/^hash: .*; n: /);
  });

  it('reports bytes that are not JSON without throwing', () => {
    const r = decode(Schema, bytes('{"hash": '));
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    if (!r.ok) expect(r.error.message).toMatch(/^not JSON/);
  });

  it('reports bytes that are not UTF-8 without throwing', () => {
    const r = decode(Schema, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('treats an empty body as undefined (fails an object schema)', () => {
    expect(decode(Schema, new Uint8Array()).ok).toBe(false);
    expect(decode(z.undefined(), new Uint8Array()).ok).toBe(true);
  });

  it('labels a bad reply as invalid_reply', () => {
    const r = decode(Schema, encodeJson({}), 'invalid_reply');
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_reply' } });
  });
});

describe('validate', () => {
  it('checks an outgoing value and uses the given code', () => {
    expect(validate(Schema, { hash: 'abc', n: 2 }, 'internal').ok).toBe(true);
    expect(validate(Schema, { hash: 'a', n: 2 }, 'internal')).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
  });
});

describe('errors on the wire', () => {
  it('round-trips a typed error through header + body', () => {
    const e = encodeError(new BusError('not_found', 'no torrent 42', [{ path: 'hash', message: 'x' }]));
    expect(e.status).toBe(404);
    expect(e.description).toBe('not_found: no torrent 42');
    const back = decodeReply(Schema, e.body, { status: e.status, description: e.description });
    expect(back.ok).toBe(false);
    if (back.ok) return;
    expect(back.error).toBeInstanceOf(BusError);
    expect(back.error.code).toBe('not_found');
    expect(back.error.message).toBe('no torrent 42');
    expect(back.error.issues).toEqual([{ path: 'hash', message: 'x' }]);
  });

  it('keeps the header description on one line', () => {
    expect(encodeError(new BusError('failed', 'a\nb\r\nc')).description).toBe('failed: a b c');
  });

  it('falls back to the header when an error body is unreadable', () => {
    const r = decodeReply(Schema, bytes('garbage'), { status: 503, description: 'No responders' });
    expect(r).toMatchObject({ ok: false, error: { code: 'internal', message: 'No responders' } });
  });

  it('checks a successful reply against the response schema', () => {
    expect(decodeReply(Schema, encodeJson({ hash: 'abc', n: 3 }), null)).toEqual({
      ok: true,
      value: { hash: 'abc', n: 3 },
    });
    expect(decodeReply(Schema, encodeJson({ hash: 1 }), null)).toMatchObject({
      ok: false,
      error: { code: 'invalid_reply' },
    });
  });
});
