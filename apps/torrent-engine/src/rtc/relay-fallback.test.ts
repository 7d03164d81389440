import { describe, expect, it } from 'vitest';
import { answerPolicy, EARLY_MS, failedEarly, hasTurn, offerPolicy } from './relay-fallback.js';

const stun = { urls: ['stun:203.0.113.1:3478'] };
const turn = { urls: ['turn:203.0.113.1:3478?transport=udp'], username: '1700000000:alice', credential: 'x' };

const sdp = (...types: string[]) =>
  [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    ...types.map(
      (t, i) =>
        `a=candidate:${i} 1 udp 100 203.0.113.${i + 1} ${50_000 + i} typ ${t}${t === 'host' ? '' : ' raddr 0.0.0.0 rport 0'}`,
    ),
    'a=end-of-candidates',
  ].join('\r\n');

describe('relay fallback: which ICE policy the next WebRTC attempt uses', () => {
  it('an attempt failed early when it failed (ICE, connection), it never connected, or it closed within a minute', () => {
    expect(failedEarly({ connectedAt: 1_000, closedAt: 500_000, failed: true })).toBe(true);
    expect(failedEarly({ connectedAt: null, closedAt: 25_000, failed: false })).toBe(true);
    expect(failedEarly({ connectedAt: 1_000, closedAt: 1_000 + EARLY_MS - 1, failed: false })).toBe(true);
    expect(failedEarly({ connectedAt: 1_000, closedAt: 1_000 + EARLY_MS, failed: false })).toBe(false);
  });

  it('a TURN server is one with turn:/turns: URLs and credentials', () => {
    expect(hasTurn([stun])).toBe(false);
    expect(hasTurn([])).toBe(false);
    expect(hasTurn([{ urls: ['turn:203.0.113.1:3478'] }])).toBe(false);
    expect(hasTurn([stun, turn])).toBe(true);
    expect(hasTurn([{ ...turn, urls: ['turns:turn.example:5349'] }])).toBe(true);
  });

  it('offers relay-only after an early failure, and only when a TURN server is known', () => {
    expect(offerPolicy(false, [stun, turn])).toBe('all');
    expect(offerPolicy(true, [stun, turn])).toBe('relay');
    expect(offerPolicy(true, [stun])).toBe('all');
    expect(offerPolicy(true, [])).toBe('all');
  });

  it('answers relay-only an offer that carries relay candidates only, when it knows a TURN server', () => {
    expect(answerPolicy(sdp('relay'), [turn])).toBe('relay');
    expect(answerPolicy(sdp('relay', 'relay'), [stun, turn])).toBe('relay');
    expect(answerPolicy(sdp('relay'), [stun])).toBe('all');
    expect(answerPolicy(sdp('host', 'srflx', 'relay'), [turn])).toBe('all');
    expect(answerPolicy(sdp(), [turn])).toBe('all');
    expect(answerPolicy('not an sdp', [turn])).toBe('all');
  });
});
