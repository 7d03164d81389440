import { describe, expect, it } from 'vitest';
import { byReach, canonicalIp, classifyAddress } from './address-class.js';

describe('classifyAddress', () => {
  const cases: [string, ReturnType<typeof classifyAddress>][] = [
    // public, including the documentation ranges the network lab uses as its internet
    ['8.8.8.8', 'public'],
    ['192.0.2.10', 'public'],
    ['198.51.100.7', 'public'],
    ['203.0.113.1', 'public'],
    ['2a00:1450:4001::1', 'public'],
    ['2001:db8::5', 'public'],
    // LAN
    ['10.1.2.3', 'lan'],
    ['172.16.0.1', 'lan'],
    ['172.31.255.254', 'lan'],
    ['192.168.1.1', 'lan'],
    ['100.64.0.1', 'lan'],
    ['fd12:3456::1', 'lan'],
    ['fec0::1', 'lan'],
    // never
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.170', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    // IPv4 inside IPv6 is judged by where it leads
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:169.254.169.254', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['2002:c0a8:101::1', 'lan'],
    ['2002:7f00:1::', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
  ];
  it.each(cases)('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it('refuses what is not a standard IP literal', () => {
    for (const text of [
      'localhost',
      '0x7f.1',
      '2130706433',
      '127.1',
      '017.0.0.1',
      'fe80::1%eth0',
      '',
      '1.2.3.4:80',
      ' 1.2.3.4',
    ]) {
      expect(classifyAddress(text), text).toBeNull();
    }
  });
});

describe('canonicalIp', () => {
  it('unwraps IPv4-mapped IPv6 and lower-cases', () => {
    expect(canonicalIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(canonicalIp('nope')).toBeNull();
  });
});

describe('byReach', () => {
  it('orders public addresses before LAN candidates and the rest, keeping the order within each', () => {
    expect(
      byReach(['192.168.1.10', '2001:db8::5', '100.64.0.7', '203.0.113.5', 'fd12::1', '127.0.0.1'], (a) => a),
    ).toEqual(['2001:db8::5', '203.0.113.5', '192.168.1.10', '100.64.0.7', 'fd12::1', '127.0.0.1']);
  });
  it('orders any item by the address it names', () => {
    const endpoints = [
      { address: '127.0.0.1', port: 1 },
      { address: '10.0.0.2', port: 2 },
      { address: '2001:db8::1', port: 3 },
    ];
    expect(byReach(endpoints, (e) => e.address).map((e) => e.port)).toEqual([3, 2, 1]);
  });
});
