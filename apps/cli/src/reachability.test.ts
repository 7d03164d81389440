import { describe, expect, it } from 'vitest';
import { mappingText, pinholeText, reachabilityLines, verdictText } from './reachability.js';
import type { EngineStatus, PortMapping, Reachability } from './types.js';

const reach = (over: Partial<Reachability>): Reachability => ({
  verdict: 'unknown',
  publicAddresses: [],
  ipv6: [],
  stun: false,
  turn: false,
  since: Date.UTC(2026, 11, 7, 2, 30),
  ...over,
});
const mapped: PortMapping = {
  state: 'mapped',
  protocol: 'upnp-igd',
  external: { address: '203.0.113.10', port: 40_001 },
  internalPort: 51413,
  expiresAt: Date.UTC(2026, 11, 7, 3, 30),
  lastError: null,
  since: 0,
};
const engine = (over: Partial<EngineStatus>): EngineStatus => ({
  engineId: 'engine-1',
  version: '0.1.0',
  endpoints: [{ address: '192.168.1.20', port: 51413 }],
  torrents: 0,
  reachability: null,
  portMapping: null,
  pinhole: null,
  pinholes: [],
  connections: null,
  admission: null,
  ...over,
});

describe('bitween reachability (plain words)', () => {
  it('says how friends connect directly: a public address, or the port the router forwards', () => {
    const direct = engine({
      endpoints: [{ address: '2001:db8::5', port: 51413 }],
      reachability: reach({ verdict: 'direct', publicAddresses: ['2001:db8::5'], ipv6: ['2001:db8::5'] }),
    });
    expect(verdictText(direct)).toBe('Friends can connect directly (public address 2001:db8::5, port 51413)');
    const viaRouter = engine({
      reachability: reach({ verdict: 'mapped', publicAddresses: ['203.0.113.10'] }),
      portMapping: mapped,
    });
    expect(verdictText(viaRouter)).toBe(
      'Friends can connect directly (port 51413 forwarded by your router via UPnP, as 203.0.113.10:40001)',
    );
  });

  it('names hole punching, the relay, and what to do when nothing is known', () => {
    expect(verdictText(engine({ reachability: reach({ verdict: 'hole-punching', stun: true }) }))).toMatch(
      /^Reachable only through hole punching/,
    );
    expect(verdictText(engine({ reachability: reach({ verdict: 'relay', turn: true }) }))).toMatch(
      /^Only through a relay \(TURN\)/,
    );
    expect(verdictText(engine({ reachability: reach({ verdict: 'unreachable' }) }))).toBe(
      'Not reachable: no STUN/TURN server known — ask your XMPP server admin or set BITWEEN_ICE_SERVERS',
    );
    expect(verdictText(engine({ reachability: reach({}) }))).toMatch(/^Not worked out yet/);
    expect(verdictText(engine({}))).toMatch(/^Unknown: this engine does not report it/);
  });

  it('describes the port mapping in each state', () => {
    expect(mappingText(mapped)).toBe(
      'UPnP: 203.0.113.10:40001 → port 51413, lease until 2026-12-07 03:30 UTC (renewed before)',
    );
    expect(mappingText({ ...mapped, state: 'off', external: null })).toMatch(/BITWEEN_PORT_MAPPING=off/);
    expect(
      mappingText({ ...mapped, state: 'unavailable', external: null, lastError: 'no gateway found' }),
    ).toBe('no router mapped the port (no gateway found); tried again later');
    expect(mappingText(null)).toBe('not reported');
  });

  it('describes the IPv6 pinhole in each state, and lists it', () => {
    const pinhole: PortMapping = {
      ...mapped,
      protocol: 'pcp',
      external: { address: '2001:db8:1::2', port: 51413 },
    };
    expect(pinholeText(pinhole)).toBe(
      'open by PCP: [2001:db8:1::2]:51413 until 2026-12-07 03:30 UTC (renewed before)',
    );
    expect(
      pinholeText({
        ...pinhole,
        state: 'unavailable',
        external: null,
        lastError: 'PCP at fe80::1: no answer',
      }),
    ).toBe(
      'no router opened it (PCP at fe80::1: no answer): friends on IPv6 get in only if your router lets them; tried again later',
    );
    expect(pinholeText(null)).toMatch(/^none/);
    expect(reachabilityLines(engine({ pinhole }))).toContain(
      '  IPv6 pinhole:     open by PCP: [2001:db8:1::2]:51413 until 2026-12-07 03:30 UTC (renewed before)',
    );
  });

  it('lists one pinhole per global IPv6 address, naming the address of one not open', () => {
    const open: PortMapping = {
      ...mapped,
      protocol: 'pcp',
      internalAddress: '2001:db8:1::2',
      external: { address: '2001:db8:1::2', port: 51413 },
    };
    const asking: PortMapping = {
      ...open,
      state: 'searching',
      internalAddress: '2001:db8:2::2',
      external: null,
      expiresAt: null,
    };
    const lines = reachabilityLines(engine({ pinhole: open, pinholes: [open, asking] }));
    expect(lines.filter((l) => l.startsWith('  IPv6 pinhole:'))).toEqual([
      '  IPv6 pinhole:     open by PCP: [2001:db8:1::2]:51413 until 2026-12-07 03:30 UTC (renewed before)',
      '  IPv6 pinhole:     asking the router (PCP) to let friends in on IPv6 for 2001:db8:2::2',
    ]);
    expect(reachabilityLines(engine({})).filter((l) => l.startsWith('  IPv6 pinhole:'))).toEqual([
      '  IPv6 pinhole:     none (no global IPv6 address, or port mapping off)',
    ]);
  });

  it('lists addresses, STUN/TURN, connections by transport and admission', () => {
    const lines = reachabilityLines(
      engine({
        reachability: reach({ verdict: 'hole-punching', ipv6: ['2001:db8::5'], stun: true, turn: true }),
        connections: { tcpDirect: 4, tcpMapped: 0, webrtcDirect: 2, webrtcRelayed: 1 },
        admission: { admitted: 6, refused: { stranger: 3 } },
      }),
    );
    expect(lines[0]).toMatch(/^engine-1: Reachable only through hole punching/);
    expect(lines).toContain(
      '  IPv6:             2001:db8::5 (inbound unknown: likely firewalled, no pinhole)',
    );
    expect(lines).toContain('  STUN / TURN:      yes / yes');
    expect(lines).toContain(
      '  connections:      TCP direct 4, TCP mapped 0, WebRTC direct 2, WebRTC relayed 1',
    );
    expect(lines).toContain('  peers admitted:   6; refused: stranger 3');
    expect(lines).toContain('  since:            2026-12-07 02:30 UTC');
  });

  it('tells a global IPv6 address with an open pinhole from one where inbound is unknown', () => {
    const open: PortMapping = {
      ...mapped,
      protocol: 'pcp',
      internalAddress: '2001:db8::5',
      external: { address: '2001:db8::5', port: 51413 },
    };
    const refused: PortMapping = {
      ...open,
      state: 'unavailable',
      internalAddress: '2001:db8::6',
      external: null,
    };
    const e = engine({
      endpoints: [
        { address: '2001:db8::6', port: 51413 },
        { address: '2001:db8::5', port: 51413 },
      ],
      reachability: reach({
        verdict: 'direct',
        publicAddresses: ['2001:db8::5', '2001:db8::6'],
        ipv6: ['2001:db8::5', '2001:db8::6'],
      }),
      pinhole: open,
      pinholes: [open, refused],
    });
    expect(verdictText(e)).toBe('Friends can connect directly (public address 2001:db8::5, port 51413)');
    expect(reachabilityLines(e)).toContain(
      '  IPv6:             2001:db8::5 (pinhole open), 2001:db8::6 (inbound unknown: likely firewalled, no pinhole)',
    );
  });
});
