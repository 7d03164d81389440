import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIfInet6, preferStableIPv6, readIpv6Flags } from './ipv6-address-flags.js';

// A home server on two prefixes: on 2001:db8:1::/64 a stable address, today's privacy address and
// yesterday's (deprecated); on 2001:db8:2::/64 only a privacy address; one still tentative.
const ifInet6 = [
  '20010db8000100000000000000000020 02 40 00 00     eth0',
  '20010db800010000a1b2c3d4e5f60001 02 40 00 01     eth0',
  '20010db800010000a1b2c3d4e5f60000 02 40 00 21     eth0',
  '20010db800020000bbbbccccddddeeee 02 40 00 01     eth0',
  '20010db8000300000000000000000020 02 40 00 40     eth0',
  'fe800000000000000000000000000001 02 40 20 80     eth0',
  '00000000000000000000000000000001 01 80 10 80       lo',
  'garbage',
  '',
].join('\n');

describe('parseIfInet6', () => {
  it('reads each address (canonical) with its flags, skipping what is not a line of the table', () => {
    const flags = parseIfInet6(ifInet6);
    expect(flags.get('2001:db8:1::20')).toBe(0x00);
    expect(flags.get('2001:db8:1:0:a1b2:c3d4:e5f6:1')).toBe(0x01);
    expect(flags.get('2001:db8:1:0:a1b2:c3d4:e5f6:0')).toBe(0x21);
    expect(flags.get('::1')).toBe(0x80);
    expect(flags.size).toBe(7);
  });

  it('is empty when the file cannot be read (not Linux)', () => {
    expect(readIpv6Flags('/nonexistent/if_inet6').size).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'bw-if-inet6-'));
    writeFileSync(join(dir, 'if_inet6'), ifInet6);
    expect(readIpv6Flags(join(dir, 'if_inet6')).size).toBe(7);
  });
});

describe('preferStableIPv6', () => {
  const detected = [
    '192.168.1.20',
    '2001:db8:1::20',
    '2001:db8:1:0:a1b2:c3d4:e5f6:1',
    '2001:db8:1:0:a1b2:c3d4:e5f6:0',
    '2001:db8:2:0:bbbb:cccc:dddd:eeee',
    '2001:db8:3::20',
  ];

  it('keeps the stable address of a /64, a /64 with only a privacy address keeps it; deprecated and tentative go', () => {
    expect(preferStableIPv6(detected, parseIfInet6(ifInet6))).toEqual([
      '192.168.1.20',
      '2001:db8:1::20',
      '2001:db8:2:0:bbbb:cccc:dddd:eeee',
    ]);
  });

  it('passes everything when the flags are unknown', () => {
    expect(preferStableIPv6(detected, new Map())).toEqual(detected);
  });
});
