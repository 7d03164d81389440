import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { announceAddresses, announcedEndpoints, detectAddresses, isGlobalIPv6 } from './addresses.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({
    address,
    family,
    internal,
    netmask: '',
    mac: '',
    cidr: null,
    scopeid: 0,
  }) as unknown as NetworkInterfaceInfo;

const interfaces = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [
    iface('192.168.1.10', 'IPv4'),
    iface('fe80::1', 'IPv6'),
    iface('2001:db8::5', 'IPv6'),
    iface('fd12:3456::1', 'IPv6'),
  ],
  eth1: [iface('192.168.1.10', 'IPv4'), iface('203.0.113.5', 'IPv4')],
};

describe('detectAddresses', () => {
  it('keeps non-internal IPv4 and global IPv6, once each', () => {
    expect(detectAddresses(interfaces, { ipv4: true, ipv6: true })).toEqual([
      '192.168.1.10',
      '2001:db8::5',
      '203.0.113.5',
    ]);
  });

  it('switches a family off', () => {
    expect(detectAddresses(interfaces, { ipv4: false, ipv6: true })).toEqual(['2001:db8::5']);
    expect(detectAddresses(interfaces, { ipv4: true, ipv6: false })).toEqual(['192.168.1.10', '203.0.113.5']);
  });
});

describe('isGlobalIPv6', () => {
  it.each([
    ['2001:db8::5', true],
    ['2a01:4f8::1', true],
    ['::1', false],
    ['fe80::1', false],
    ['FEBF::1', false],
    ['fc00::1', false],
    ['fdff::1', false],
    ['ff02::1', false],
    ['::ffff:192.0.2.1', false],
  ])('%s → %s', (a, expected) => expect(isGlobalIPv6(a)).toBe(expected));
});

describe('announceAddresses', () => {
  it('prefers configured addresses and filters families', () => {
    const detect = () => ['10.0.0.1'];
    expect(announceAddresses(['127.0.0.1', '::1'], detect, { ipv4: true, ipv6: true })).toEqual([
      '127.0.0.1',
      '::1',
    ]);
    expect(announceAddresses(['127.0.0.1', '::1'], detect, { ipv4: true, ipv6: false })).toEqual([
      '127.0.0.1',
    ]);
    expect(announceAddresses([], detect, { ipv4: true, ipv6: true })).toEqual(['10.0.0.1']);
  });
});

describe('announcedEndpoints', () => {
  it("announces the router's mapped address and granted port first, then our own", () => {
    expect(
      announcedEndpoints(['192.168.1.10', '2001:db8::5'], 8001, { address: '198.51.100.7', port: 40_123 }),
    ).toEqual([
      { address: '198.51.100.7', port: 40_123 },
      { address: '2001:db8::5', port: 8001 },
      { address: '192.168.1.10', port: 8001 },
    ]);
    expect(announcedEndpoints(['192.168.1.10'], 8001, null)).toEqual([
      { address: '192.168.1.10', port: 8001 },
    ]);
    // behind carrier-grade NAT the router's external address is private: not announced first
    expect(
      announcedEndpoints(['2001:db8::5', '192.168.1.10'], 8001, { address: '100.64.3.4', port: 8001 }),
    ).toEqual([
      { address: '2001:db8::5', port: 8001 },
      { address: '100.64.3.4', port: 8001 },
      { address: '192.168.1.10', port: 8001 },
    ]);
    // the mapping to the same address and port is not repeated
    expect(announcedEndpoints(['203.0.113.5'], 8001, { address: '203.0.113.5', port: 8001 })).toEqual([
      { address: '203.0.113.5', port: 8001 },
    ]);
  });
});
