import { describe, expect, it } from 'vitest';
import type { EngineSummary, PortMapping, Reachability } from '../types.js';
import {
  admissionText,
  connectionRows,
  ipv6Text,
  mappingText,
  pinholeText,
  pinholesOf,
  verdictHint,
  verdictOf,
} from './reachability.js';

const reach = (over: Partial<Reachability>): Reachability => ({
  verdict: 'unknown',
  publicAddresses: [],
  ipv6: [],
  stun: false,
  turn: false,
  since: 0,
  ...over,
});
const mapped: PortMapping = {
  state: 'mapped',
  protocol: 'upnp-igd',
  external: { address: '203.0.113.10', port: 40_001 },
  internalPort: 51413,
  expiresAt: null,
  lastError: null,
  since: 0,
};
const engine = (over: Partial<EngineSummary>): EngineSummary => ({
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

describe('verdictOf', () => {
  it('says friends connect directly, with the public address or the forwarded port', () => {
    expect(
      verdictOf(
        engine({
          endpoints: [{ address: '203.0.113.5', port: 6881 }],
          reachability: reach({ verdict: 'direct', publicAddresses: ['203.0.113.5'] }),
        }),
      ),
    ).toEqual({ text: 'Friends can connect directly (public address 203.0.113.5, port 6881)', tone: 'good' });
    expect(verdictOf(engine({ reachability: reach({ verdict: 'mapped' }), portMapping: mapped }))).toEqual({
      text: 'Friends can connect directly (port 51413 forwarded by your router via UPnP)',
      tone: 'good',
    });
    expect(
      verdictOf(
        engine({
          reachability: reach({ verdict: 'mapped' }),
          portMapping: { ...mapped, protocol: 'nat-pmp' },
        }),
      ).text,
    ).toMatch(/via NAT-PMP\)$/);
  });

  it('names hole punching and the relay (with a hint), and what to do when nothing works', () => {
    const punch = engine({ reachability: reach({ verdict: 'hole-punching', stun: true }) });
    expect(verdictOf(punch)).toEqual({ text: 'Reachable only through hole punching', tone: 'partly' });
    expect(verdictHint(punch)).toMatch(/WebRTC/);
    expect(verdictOf(engine({ reachability: reach({ verdict: 'relay', turn: true }) })).text).toBe(
      'Only through a relay',
    );
    expect(verdictOf(engine({ reachability: reach({ verdict: 'unreachable' }) }))).toEqual({
      text: 'Not reachable: no STUN/TURN server known — ask your XMPP server admin or set BITWEEN_ICE_SERVERS',
      tone: 'bad',
    });
    expect(verdictOf(engine({ reachability: reach({}) })).tone).toBe('unknown');
    expect(verdictOf(engine({})).text).toMatch(/older than the reachability report/);
    expect(verdictHint(engine({}))).toBeNull();
  });
});

describe('the facts', () => {
  it('describes the port mapping', () => {
    expect(mappingText(mapped)).toBe('UPnP: 203.0.113.10:40001 → port 51413');
    expect(mappingText({ ...mapped, expiresAt: Date.UTC(2026, 0, 1) })).toMatch(
      /, lease until .+ \(renewed before\)$/,
    );
    expect(mappingText({ ...mapped, state: 'off' })).toBe('off (BITWEEN_PORT_MAPPING=off)');
    expect(mappingText({ ...mapped, state: 'unavailable', lastError: 'no gateway found' })).toBe(
      'no router mapped the port (no gateway found); trying again later',
    );
    expect(mappingText(null)).toBe('not reported');
  });

  it('describes the IPv6 pinhole', () => {
    const pinhole: PortMapping = {
      ...mapped,
      protocol: 'pcp',
      external: { address: '2001:db8:1::2', port: 51413 },
    };
    expect(pinholeText(pinhole)).toBe('open by PCP: [2001:db8:1::2]:51413');
    expect(pinholeText({ ...pinhole, expiresAt: Date.UTC(2026, 0, 1) })).toMatch(
      / until .+ \(renewed before\)$/,
    );
    expect(
      pinholeText({
        ...pinhole,
        state: 'unavailable',
        external: null,
        lastError: 'PCP at fe80::1: no answer',
      }),
    ).toBe(
      'no router opened it (PCP at fe80::1: no answer): friends on IPv6 get in only if your router lets them; trying again later',
    );
    expect(pinholeText(null)).toMatch(/^none/);
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
    };
    expect(pinholesOf(engine({ pinhole: open, pinholes: [open, asking] })).map(pinholeText)).toEqual([
      'open by PCP: [2001:db8:1::2]:51413',
      'asking your router (PCP) to let friends in on IPv6 for 2001:db8:2::2…',
    ]);
    expect(pinholesOf(engine({ pinhole: open }))).toEqual([open]); // an older engine: one
    expect(pinholesOf(engine({}))).toEqual([]);
  });

  it('tells a global IPv6 address with an open pinhole from one where inbound is unknown', () => {
    const open: PortMapping = {
      ...mapped,
      protocol: 'pcp',
      internalAddress: '2001:db8::5',
      external: { address: '2001:db8::5', port: 51413 },
    };
    const r = reach({ verdict: 'direct', ipv6: ['2001:db8::5', '2001:db8::6'] });
    expect(ipv6Text(engine({ reachability: r, pinhole: open, pinholes: [open] }))).toBe(
      '2001:db8::5 (pinhole open), 2001:db8::6 (inbound unknown: likely firewalled, no pinhole)',
    );
    expect(ipv6Text(engine({ reachability: reach({ ipv6: [] }) }))).toBe('none');
  });

  it('lists connections by transport and admission', () => {
    expect(connectionRows({ tcpDirect: 1, tcpMapped: 2, webrtcDirect: 3, webrtcRelayed: 4 })).toEqual([
      ['TCP, direct', 1],
      ['TCP, through the router’s port', 2],
      ['WebRTC, direct', 3],
      ['WebRTC, relayed', 4],
    ]);
    expect(admissionText({ admitted: 6, refused: { stranger: 3, 'no-proof': 1 } })).toBe(
      '6 admitted; refused: stranger 3, no-proof 1',
    );
    expect(admissionText({ admitted: 0, refused: {} })).toBe('0 admitted; refused: none');
    expect(admissionText(null)).toBe('not reported');
  });
});
