import { describe, expect, it } from 'vitest';
import { DialPolicy, sharesLan, type LanEvidence } from './dial-policy.js';

const home: LanEvidence = {
  interfaces: [
    { address: '127.0.0.1', cidr: '127.0.0.1/8', internal: true },
    { address: '192.168.1.20', cidr: '192.168.1.20/24', internal: false },
    { address: 'fd00:1::20', cidr: 'fd00:1::20/64', internal: false },
  ],
  ownPublic: ['203.0.113.5'],
  contactPublic: ['203.0.113.5'],
};

describe('sharesLan', () => {
  it('is true for a contact behind our own router, on our subnet', () => {
    expect(sharesLan('192.168.1.30', home)).toBe(true);
    expect(sharesLan('fd00:1::30', home)).toBe(true);
  });
  it('is false without a shared public address (every home has 192.168.1.0/24)', () => {
    expect(sharesLan('192.168.1.30', { ...home, contactPublic: ['198.51.100.9'] })).toBe(false);
    expect(sharesLan('192.168.1.30', { ...home, ownPublic: [] })).toBe(false);
  });
  it('is false outside our subnets, for our own address, the network and the broadcast address', () => {
    expect(sharesLan('192.168.2.30', home)).toBe(false);
    expect(sharesLan('10.0.0.1', home)).toBe(false);
    expect(sharesLan('192.168.1.20', home)).toBe(false);
    expect(sharesLan('192.168.1.0', home)).toBe(false);
    expect(sharesLan('192.168.1.255', home)).toBe(false);
  });
  it('counts only public addresses as shared (a private address on both sides shows no common router)', () => {
    const privateOnly = { ...home, ownPublic: ['10.0.0.1', '203.0.113.5'], contactPublic: ['10.0.0.1'] };
    expect(sharesLan('192.168.1.30', privateOnly)).toBe(false);
    expect(
      sharesLan('192.168.1.30', { ...home, ownPublic: ['127.0.0.1'], contactPublic: ['127.0.0.1'] }),
    ).toBe(false);
    expect(sharesLan('192.168.1.30', { ...home, contactPublic: ['::ffff:203.0.113.5'] })).toBe(true);
  });
  it('is false for addresses that are not LAN addresses', () => {
    expect(sharesLan('127.0.0.5', home)).toBe(false);
    expect(sharesLan('203.0.113.5', home)).toBe(false);
  });
});

describe('DialPolicy', () => {
  const policy = new DialPolicy();
  it('allows public addresses', () => {
    expect(policy.check('198.51.100.7', 6881)).toEqual({
      allowed: true,
      address: '198.51.100.7',
      class: 'public',
    });
    expect(policy.check('2001:db8::7', 6881)).toMatchObject({ allowed: true, class: 'public' });
  });
  it('refuses each class a stranger on the internet could not reach', () => {
    for (const ip of [
      '0.0.0.0',
      '127.0.0.1',
      '::1',
      '169.254.169.254',
      '224.0.0.251',
      '255.255.255.255',
      'fe80::1',
      '::ffff:127.0.0.1',
      '240.1.1.1',
    ]) {
      const verdict = policy.check(ip, 5000);
      expect(verdict.allowed, ip).toBe(false);
    }
    expect(policy.check('127.0.0.1', 5000)).toEqual({
      allowed: false,
      reason: '127.0.0.1 is a loopback address',
      code: 'loopback',
    });
  });
  it('names each refusal with a one-word code (a counter label)', () => {
    const codes = Object.fromEntries(
      [
        ['0.0.0.0', 80],
        ['::ffff:127.0.0.1', 80],
        ['169.254.169.254', 80],
        ['ff02::1', 80],
        ['255.255.255.255', 80],
        ['240.0.0.1', 80],
        ['10.0.0.1', 80],
        ['localhost', 80],
        ['198.51.100.7', 0],
      ].map(([ip, port]) => {
        const verdict = policy.check(String(ip), Number(port));
        return [`${ip}:${port}`, verdict.allowed ? 'allowed' : verdict.code];
      }),
    );
    expect(codes).toEqual({
      '0.0.0.0:80': 'unspecified',
      '::ffff:127.0.0.1:80': 'loopback',
      '169.254.169.254:80': 'link-local',
      'ff02::1:80': 'multicast',
      '255.255.255.255:80': 'broadcast',
      '240.0.0.1:80': 'reserved',
      '10.0.0.1:80': 'lan',
      'localhost:80': 'not-ip',
      '198.51.100.7:0': 'port',
    });
  });
  it('refuses a LAN address unless the contact shares our LAN', () => {
    expect(policy.check('192.168.1.30', 8000).allowed).toBe(false);
    expect(policy.check('192.168.1.30', 8000, home)).toMatchObject({ allowed: true, class: 'lan' });
    expect(policy.check('192.168.1.1', 80, { ...home, contactPublic: ['198.51.100.1'] }).allowed).toBe(false);
  });
  it("with what we know of our network, refuses this host's own addresses and our public ones", () => {
    const server: LanEvidence = {
      interfaces: [
        ...home.interfaces,
        { address: '198.51.100.20', cidr: '198.51.100.20/24', internal: false },
        { address: '2001:db8:1::20', cidr: '2001:db8:1::20/64', internal: false },
      ],
      ownPublic: ['203.0.113.5'],
      contactPublic: [],
    };
    for (const [ip, code] of [
      ['198.51.100.20', 'this-host'],
      ['192.168.1.20', 'this-host'],
      ['2001:db8:1::20', 'this-host'],
      ['fd00:1::20', 'this-host'],
      ['::ffff:198.51.100.20', 'this-host'],
      ['203.0.113.5', 'own-network'],
      // a global IPv6 neighbour on our own link: behind our router's firewall, like a LAN
      ['2001:db8:1::30', 'lan'],
      ['127.0.0.1', 'loopback'],
    ] as const) {
      expect(policy.check(ip, 80, server), ip).toMatchObject({ allowed: false, code });
    }
    // A public IPv4 neighbour on our subnet (a data centre) and the rest of the internet stay dialled.
    expect(policy.check('198.51.100.21', 80, server).allowed).toBe(true);
    expect(policy.check('2001:db8:2::30', 80, server).allowed).toBe(true);
    // Without that knowledge (no evidence), our own public address looks like any other.
    expect(policy.check('198.51.100.20', 80).allowed).toBe(true);
    // A contact behind our router may be dialled on our IPv6 link, never on our public address.
    const neighbour = { ...server, contactPublic: ['203.0.113.5'] };
    expect(policy.check('2001:db8:1::30', 80, neighbour)).toMatchObject({ allowed: true, class: 'public' });
    expect(policy.check('203.0.113.5', 80, neighbour)).toMatchObject({ allowed: false, code: 'own-network' });
    // The operator's allow list still wins.
    expect(new DialPolicy(['192.168.1.20']).check('192.168.1.20', 80, server).allowed).toBe(true);
  });
  it('refuses bad ports and non-literals', () => {
    expect(policy.check('198.51.100.7', 0).allowed).toBe(false);
    expect(policy.check('198.51.100.7', 65536).allowed).toBe(false);
    expect(policy.check('198.51.100.7', 1.5).allowed).toBe(false);
    expect(policy.check('example.org', 80).allowed).toBe(false);
    expect(policy.check('0x7f.1', 80).allowed).toBe(false);
  });
  it('lets the operator allow addresses and blocks (tests, a LAN of their own)', () => {
    const trusting = new DialPolicy(['127.0.0.1', '10.9.0.0/16']);
    expect(trusting.check('127.0.0.1', 5000)).toMatchObject({ allowed: true, class: 'allow-listed' });
    expect(trusting.check('::ffff:127.0.0.1', 5000)).toMatchObject({ allowed: true });
    expect(trusting.check('10.9.3.4', 5000)).toMatchObject({ allowed: true });
    expect(trusting.check('127.0.0.2', 5000).allowed).toBe(false);
    expect(() => new DialPolicy(['nope'])).toThrow(/not an address or CIDR block: nope/);
    for (const bad of [
      '10.0.0.0/',
      '1.2.3.4/8/9',
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/-1',
      '10.0.0.0/8a',
      '10.0.0.0/ 8',
    ]) {
      expect(() => new DialPolicy([bad]), bad).toThrow(/not an address or CIDR block/);
    }
    expect(new DialPolicy(['::/0']).check('::1', 1)).toMatchObject({ allowed: true });
  });
});
