import { describe, expect, it } from 'vitest';
import {
  answers,
  encodeMapRequest,
  IPPROTO_TCP,
  MAP_MESSAGE_BYTES,
  parseMapResponse,
  type MapRequest,
} from './pcp-codec.js';
import { pinholeNonce } from './start.js';

const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
const request: MapRequest = {
  nonce,
  protocol: IPPROTO_TCP,
  clientAddress: '2001:db8:1::2',
  internalPort: 6881,
  suggestedExternalPort: 6881,
  suggestedExternalAddress: '2001:db8:1::2',
  lifetimeS: 3600,
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const v6 = '20010db8000100000000000000000002';

/** A router's answer to `request` (RFC 6887 §7.2 header, §11.1 MAP payload). */
function response(over: { result?: number; opcode?: number; version?: number; port?: number } = {}) {
  const b = Buffer.alloc(MAP_MESSAGE_BYTES);
  b[0] = over.version ?? 2;
  b[1] = over.opcode ?? 0x81;
  b[3] = over.result ?? 0;
  b.writeUInt32BE(7200, 4); // lifetime
  b.writeUInt32BE(42, 8); // epoch
  Buffer.from(nonce).copy(b, 24);
  b[36] = IPPROTO_TCP;
  b.writeUInt16BE(over.port ?? 6881, 40);
  b.writeUInt16BE(6881, 42);
  Buffer.from(v6, 'hex').copy(b, 44);
  return new Uint8Array(b);
}

describe('PCP MAP codec (RFC 6887)', () => {
  it('encodes a MAP request: header (version 2, opcode 1, lifetime, client address) and payload', () => {
    const b = encodeMapRequest(request);
    expect(b).toHaveLength(60);
    expect(hex(b)).toBe('02010000' + '00000e10' + v6 + hex(nonce) + '06000000' + '1ae11ae1' + v6);
    // IPv4 is carried as an IPv4-mapped address; lifetime 0 deletes
    const del = encodeMapRequest({ ...request, clientAddress: '192.168.1.2', lifetimeS: 0 });
    expect(hex(del.subarray(4, 24))).toBe('00000000' + '00000000000000000000ffffc0a80102');
  });

  it('refuses to encode what does not fit the wire format', () => {
    expect(() => encodeMapRequest({ ...request, nonce: new Uint8Array(8) })).toThrow(RangeError);
    expect(() => encodeMapRequest({ ...request, internalPort: 70_000 })).toThrow(RangeError);
    expect(() => encodeMapRequest({ ...request, lifetimeS: -1 })).toThrow(RangeError);
    expect(() => encodeMapRequest({ ...request, clientAddress: 'router.lan' })).toThrow(TypeError);
  });

  it('parses a MAP response and matches it to its request', () => {
    const res = parseMapResponse(response());
    expect(res).toMatchObject({
      resultCode: 0,
      result: 'SUCCESS',
      lifetimeS: 7200,
      epochS: 42,
      protocol: IPPROTO_TCP,
      internalPort: 6881,
      externalPort: 6881,
      externalAddress: '2001:db8:1::2',
    });
    expect(answers(res, request)).toBe(true);
    expect(answers(parseMapResponse(response({ port: 6882 })), request)).toBe(false);
    expect(answers(res, { ...request, nonce: new Uint8Array(12) })).toBe(false);
    expect(parseMapResponse(response({ result: 2 })).result).toBe('NOT_AUTHORIZED');
    expect(parseMapResponse(response({ result: 99 })).result).toBe('result 99');
    // options after the payload are ignored
    const withOption = new Uint8Array(64);
    withOption.set(response());
    expect(parseMapResponse(withOption).externalPort).toBe(6881);
  });

  it('refuses what is not a MAP response: short, odd length, another version, a request, another opcode', () => {
    expect(() => parseMapResponse(response().subarray(0, 56))).toThrow(/56 bytes/);
    expect(() => parseMapResponse(new Uint8Array(61))).toThrow(/61 bytes/);
    expect(() => parseMapResponse(new Uint8Array(1104))).toThrow(/1104 bytes/);
    expect(() => parseMapResponse(response({ version: 0 }))).toThrow(/version 0/);
    expect(() => parseMapResponse(response({ opcode: 0x01 }))).toThrow(/not a PCP MAP response/);
    expect(() => parseMapResponse(response({ opcode: 0x82 }))).toThrow(/not a PCP MAP response/);
  });
});

describe('the pinhole of an engine', () => {
  it('has a nonce that survives a restart and differs per engine, address and port', () => {
    const n = pinholeNonce('engine-1', '2001:db8:1::2', 6881);
    expect(n).toHaveLength(12);
    expect(hex(pinholeNonce('engine-1', '2001:db8:1::2', 6881))).toBe(hex(n));
    for (const other of [
      pinholeNonce('engine-2', '2001:db8:1::2', 6881),
      pinholeNonce('engine-1', '2001:db8:1::3', 6881),
      pinholeNonce('engine-1', '2001:db8:1::2', 6882),
    ])
      expect(hex(other)).not.toBe(hex(n));
  });
});
