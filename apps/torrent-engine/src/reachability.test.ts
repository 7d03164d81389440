import type { PortMappingStatus } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { ReachabilityTracker, iceKinds, judgeReachability, type ReachabilityInput } from './reachability.js';

const off: PortMappingStatus = {
  state: 'off',
  protocol: null,
  external: null,
  internalPort: 51413,
  expiresAt: null,
  lastError: null,
  since: 0,
};
const mapped = (address: string): PortMappingStatus => ({
  ...off,
  state: 'mapped',
  protocol: 'upnp-igd',
  external: { address, port: 40_001 },
  expiresAt: 3_600_000,
});
const pinhole = (address: string): PortMappingStatus => ({
  ...off,
  state: 'mapped',
  protocol: 'pcp',
  external: { address, port: 51413 },
  expiresAt: 3_600_000,
});
const none = { stun: false, turn: false };
const input = (over: Partial<ReachabilityInput>): ReachabilityInput => ({
  addresses: ['192.168.1.20'],
  portMapping: off,
  ice: none,
  ...over,
});

describe('judgeReachability', () => {
  it('is direct on a public IPv4 address of our own', () => {
    const r = judgeReachability(input({ addresses: ['192.168.1.20', '203.0.113.5'] }));
    expect(r).toEqual({
      verdict: 'direct',
      publicAddresses: ['203.0.113.5'],
      ipv6: [],
      stun: false,
      turn: false,
    });
  });

  it('is not direct on a global IPv6 address without a pinhole: listed in ipv6, inbound unknown', () => {
    const r = judgeReachability(
      input({ addresses: ['192.168.1.20', 'fd00::5', 'fe80::1', '2001:DB8::5'], ice: null }),
    );
    expect(r.verdict).toBe('unknown');
    expect(r.ipv6).toEqual(['2001:db8::5']);
    expect(r.publicAddresses).toEqual(['2001:db8::5']);
    const withStun = judgeReachability(
      input({ addresses: ['2001:db8::5'], ice: { stun: true, turn: false }, pinholes: [] }),
    );
    expect(withStun.verdict).toBe('hole-punching');
  });

  it('is not direct while the pinhole is being asked for or was refused', () => {
    const asking = { ...pinhole('2001:db8::5'), state: 'searching' as const, external: null };
    const refused = { ...asking, state: 'unavailable' as const, lastError: 'PCP at fe80::1: no answer' };
    for (const p of [asking, refused])
      expect(judgeReachability(input({ addresses: ['2001:db8::5'], pinholes: [p] })).verdict).toBe(
        'unreachable',
      );
  });

  it('is direct on a global IPv6 address with an open pinhole, listed before those without', () => {
    const r = judgeReachability(
      input({
        addresses: ['192.168.1.20', '2001:db8::5', '2001:db8::6'],
        pinholes: [
          { ...pinhole('2001:db8::5'), state: 'unavailable', external: null },
          pinhole('2001:DB8::6'),
        ],
        ice: null,
      }),
    );
    expect(r.verdict).toBe('direct');
    expect(r.ipv6).toEqual(['2001:db8::5', '2001:db8::6']);
    expect(r.publicAddresses).toEqual(['2001:db8::6', '2001:db8::5']);
  });

  it('does not count a pinhole for an address we no longer announce', () => {
    const r = judgeReachability(input({ addresses: ['2001:db8::7'], pinholes: [pinhole('2001:db8::5')] }));
    expect(r.verdict).toBe('unreachable');
  });

  it('is mapped when the router forwards our port to a public address, listed first', () => {
    const r = judgeReachability(
      input({ portMapping: mapped('203.0.113.10'), ice: { stun: true, turn: true } }),
    );
    expect(r.verdict).toBe('mapped');
    expect(r.publicAddresses).toEqual(['203.0.113.10']);
  });

  it('does not count a mapping behind carrier-grade NAT (private external address)', () => {
    const r = judgeReachability(
      input({ portMapping: mapped('100.64.0.7'), ice: { stun: true, turn: false } }),
    );
    expect(r.verdict).toBe('hole-punching');
    expect(r.publicAddresses).toEqual([]);
  });

  it('does not count a mapping that is searching or unavailable', () => {
    const searching = { ...mapped('203.0.113.10'), state: 'searching' as const };
    expect(judgeReachability(input({ portMapping: searching })).verdict).toBe('unreachable');
  });

  it('falls back to hole punching with STUN, relay with TURN only, else unreachable', () => {
    expect(judgeReachability(input({ ice: { stun: true, turn: true } })).verdict).toBe('hole-punching');
    expect(judgeReachability(input({ ice: { stun: true, turn: false } })).verdict).toBe('hole-punching');
    const relay = judgeReachability(input({ ice: { stun: false, turn: true } }));
    expect(relay).toMatchObject({ verdict: 'relay', stun: false, turn: true });
    expect(judgeReachability(input({ ice: none })).verdict).toBe('unreachable');
  });

  it('lists the public address the gateway learnt by STUN behind NAT, without calling it direct', () => {
    const r = judgeReachability(
      input({ ice: { stun: true, turn: false }, discovered: ['198.51.100.7', '192.168.1.1', 'x'] }),
    );
    expect(r).toMatchObject({ verdict: 'hole-punching', publicAddresses: ['198.51.100.7'] });
  });

  it('is unknown while nothing is dialable and the gateway was not asked yet', () => {
    expect(judgeReachability(input({ ice: null })).verdict).toBe('unknown');
  });

  it('ignores what is not an IP literal and duplicates', () => {
    const r = judgeReachability(input({ addresses: ['not-an-ip', '203.0.113.5', '203.0.113.5'] }));
    expect(r.publicAddresses).toEqual(['203.0.113.5']);
  });
});

describe('iceKinds', () => {
  it('tells STUN from TURN by URL scheme', () => {
    expect(iceKinds([])).toEqual({ stun: false, turn: false });
    expect(iceKinds([{ urls: ['stun:203.0.113.1:3478'] }])).toEqual({ stun: true, turn: false });
    expect(iceKinds([{ urls: ['turns:t.example:5349'], username: 'u', credential: 'c' }])).toEqual({
      stun: false,
      turn: true,
    });
    expect(iceKinds([{ urls: ['stun:s.example', 'turn:s.example?transport=tcp'] }])).toEqual({
      stun: true,
      turn: true,
    });
  });
});

describe('ReachabilityTracker', () => {
  it('moves since only when the judgement changes', () => {
    const t = new ReachabilityTracker();
    expect(t.update(input({ ice: null }), 1000)).toMatchObject({ verdict: 'unknown', since: 1000 });
    expect(t.update(input({ ice: null }), 2000).since).toBe(1000);
    expect(t.update(input({ ice: { stun: true, turn: false } }), 3000)).toMatchObject({
      verdict: 'hole-punching',
      since: 3000,
    });
    // Same verdict, TURN learnt: a change too.
    expect(t.update(input({ ice: { stun: true, turn: true } }), 4000).since).toBe(4000);
    expect(t.update(input({ ice: { stun: true, turn: true } }), 5000).since).toBe(4000);
  });
});
