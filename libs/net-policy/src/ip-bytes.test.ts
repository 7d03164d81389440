import { describe, expect, it } from 'vitest';
import { ipFromBytes, ipToBytes } from './ip-bytes.js';

describe('IP addresses as 16 bytes', () => {
  it('writes IPv6 as is and IPv4 as an IPv4-mapped IPv6 address, and reads them back', () => {
    expect([...ipToBytes('2001:db8::2')!]).toEqual([
      0x20,
      0x01,
      0x0d,
      0xb8,
      ...new Array<number>(11).fill(0),
      2,
    ]);
    expect([...ipToBytes('203.0.113.10')!]).toEqual([
      ...new Array<number>(10).fill(0),
      0xff,
      0xff,
      203,
      0,
      113,
      10,
    ]);
    expect(ipFromBytes(ipToBytes('2001:DB8:0:0::2')!)).toBe('2001:db8::2');
    expect(ipFromBytes(ipToBytes('203.0.113.10')!)).toBe('203.0.113.10');
    expect(ipFromBytes(new Uint8Array(16))).toBe('::');
  });

  it('drops a zone, refuses what is not an address or not 16 bytes', () => {
    expect(ipFromBytes(ipToBytes('fe80::1%eth0')!)).toBe('fe80::1');
    expect(ipToBytes('router.lan')).toBeNull();
    expect(ipToBytes('')).toBeNull();
    expect(() => ipFromBytes(new Uint8Array(4))).toThrow(RangeError);
  });
});
