import { describe, expect, it } from 'vitest';
import type { Peer } from '../types.js';
import { addLabel, MAX_LABELS, parseSeedLimits, peerEndpoint, peerFlags } from './torrent-options.js';

describe('addLabel', () => {
  it('adds a trimmed label once', () => {
    expect(addLabel(['tv'], '  films ')).toEqual({ ok: true, labels: ['tv', 'films'] });
    expect(addLabel(['tv'], 'tv')).toMatchObject({ ok: false });
  });
  it('refuses what the api refuses: empty, commas, control characters, too long, too many', () => {
    expect(addLabel([], '   ')).toMatchObject({ ok: false });
    const comma = addLabel([], 'a,b');
    expect(comma.ok).toBe(false);
    if (!comma.ok) expect(comma.error).toContain('comma');
    expect(addLabel([], 'a\u0007b')).toMatchObject({ ok: false });
    expect(addLabel([], 'x'.repeat(129))).toMatchObject({ ok: false });
    const full = Array.from({ length: MAX_LABELS }, (_, i) => `l${i}`);
    expect(addLabel(full, 'one more')).toMatchObject({ ok: false });
  });
});

describe('parseSeedLimits', () => {
  it('keeps the values of mode single, ignores the others', () => {
    expect(
      parseSeedLimits({ ratioMode: 'single', ratio: '1.5', idleMode: 'unlimited', idleMinutes: 'x' }),
    ).toEqual({
      ok: true,
      value: { ratioMode: 'single', ratio: 1.5, idleMode: 'unlimited', idleMinutes: 30 },
    });
    expect(
      parseSeedLimits({ ratioMode: 'global', ratio: '', idleMode: 'single', idleMinutes: ' 45 ' }),
    ).toEqual({
      ok: true,
      value: { ratioMode: 'global', ratio: 2, idleMode: 'single', idleMinutes: 45 },
    });
  });
  it('refuses a ratio or minutes that are not numbers in range', () => {
    for (const ratio of ['', '-1', 'abc', '2e3', '1000001'])
      expect(parseSeedLimits({ ratioMode: 'single', ratio, idleMode: 'global', idleMinutes: '' }).ok).toBe(
        false,
      );
    for (const idleMinutes of ['', '0', '1.5', '1000001'])
      expect(parseSeedLimits({ ratioMode: 'global', ratio: '', idleMode: 'single', idleMinutes }).ok).toBe(
        false,
      );
  });
});

describe('peerFlags', () => {
  const peer = (over: Partial<Peer>): Peer => ({
    address: '192.0.2.1',
    port: 1,
    client: '',
    downloadSpeed: 0,
    uploadSpeed: 0,
    progress: 0,
    amChoking: true,
    amInterested: false,
    peerChoking: true,
    peerInterested: false,
    incoming: false,
    encrypted: false,
    transport: 'tcp',
    ...over,
  });
  const letters = (p: Peer) =>
    peerFlags(p)
      .map((f) => f.letter)
      .join('');
  it("uses Transmission's letters", () => {
    expect(letters(peer({}))).toBe('');
    expect(letters(peer({ amInterested: true, peerChoking: false }))).toBe('D');
    expect(letters(peer({ amInterested: true }))).toBe('d');
    expect(letters(peer({ peerInterested: true, amChoking: false, incoming: true, encrypted: true }))).toBe(
      'UIE',
    );
    expect(letters(peer({ peerInterested: true }))).toBe('u');
  });
});

describe('peerEndpoint', () => {
  it('shows IPv4-mapped addresses as IPv4 and IPv6 in brackets', () => {
    expect(peerEndpoint({ address: '::ffff:127.0.0.1', port: 6881 })).toBe('127.0.0.1:6881');
    expect(peerEndpoint({ address: '192.0.2.1', port: 1 })).toBe('192.0.2.1:1');
    expect(peerEndpoint({ address: '2001:db8::1', port: 2 })).toBe('[2001:db8::1]:2');
  });
});
