import { describe, expect, it } from 'vitest';
import { awaitedArrived, awaitedTypes, candidateType } from './gathering.js';

const stun = { urls: ['stun:203.0.113.1:3478'] };
const turnUdp = { urls: ['turn:203.0.113.1:3478?transport=udp'], username: 'u', credential: 'p' };
const turnTcp = { urls: ['turn:203.0.113.1:3478?transport=tcp'], username: 'u', credential: 'p' };
const turnNoAuth = { urls: ['turn:203.0.113.1:3478'] };

describe('ICE candidates worth waiting for', () => {
  it('awaits the NAT address when a STUN server (or a UDP TURN server) is known, a relay when TURN is', () => {
    expect([...awaitedTypes([], 'all')]).toEqual([]);
    expect([...awaitedTypes([stun], 'all')]).toEqual(['srflx']);
    expect([...awaitedTypes([turnUdp], 'all')].sort()).toEqual(['relay', 'srflx']);
    // TURN over TCP is no STUN server; TURN without credentials is left out by libwebrtc.
    expect([...awaitedTypes([turnTcp], 'all')]).toEqual(['relay']);
    expect([...awaitedTypes([turnNoAuth], 'all')]).toEqual([]);
    // Relay-only gathers relays only.
    expect([...awaitedTypes([stun, turnUdp], 'relay')]).toEqual(['relay']);
  });

  it('reads the type of a candidate line', () => {
    expect(
      candidateType('candidate:1 1 udp 1686052607 198.51.100.7 40000 typ srflx raddr 192.168.1.2 rport 5000'),
    ).toBe('srflx');
    expect(candidateType('candidate:2 1 udp 2122260223 192.168.1.2 5000 typ host generation 0')).toBe('host');
    expect(candidateType('garbage')).toBeNull();
  });

  it('is ready once every awaited type was seen, never when nothing is awaited', () => {
    const both = awaitedTypes([turnUdp], 'all');
    expect(awaitedArrived(both, new Set(['host', 'srflx']))).toBe(false);
    expect(awaitedArrived(both, new Set(['host', 'srflx', 'relay']))).toBe(true);
    expect(awaitedArrived(awaitedTypes([], 'all'), new Set(['host']))).toBe(false);
  });
});
