import { describe, expect, it } from 'vitest';
import { DialGuard } from './dial-guard.js';

/** A logger that keeps what was logged. */
function recorder() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: object, msg?: string): void => {
      lines.push({ level, msg: msg ?? '', fields: fields as Record<string, unknown> });
    };
  return {
    lines,
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    refusals: () => lines.filter((l) => l.msg === 'refused to dial a peer'),
  };
}

const HASH = 'a'.repeat(40);
const home = [
  { address: '127.0.0.1', cidr: '127.0.0.1/8', internal: true },
  { address: '192.168.1.20', cidr: '192.168.1.20/24', internal: false },
];
const contact = (source = 'contact') => ({ hash: HASH, source });

describe('DialGuard', () => {
  it('dials public addresses and refuses each class a stranger could not reach, counted by reason', () => {
    const r = recorder();
    const guard = new DialGuard({ allow: [], log: r.log, interfaces: () => home });
    expect(guard.allows('198.51.100.7:6881', contact())).toBe(true);
    expect(guard.allows('[2001:db8::7]:6881', contact())).toBe(true);
    const refused = [
      '0.0.0.0:5000',
      '127.0.0.1:5000',
      '[::1]:5000',
      '[::ffff:127.0.0.1]:5000',
      '::ffff:127.0.0.1:5000', // unbracketed, as addr-to-ip-port still reads it
      '169.254.169.254:80',
      '224.0.0.1:5000',
      '255.255.255.255:5000',
      '[fe80::1]:5000',
      '[fe80::1%eth0]:5000',
      '192.168.1.30:5000',
      '192.168.1.20:5000', // this host's own LAN address
      'localhost:5000',
      '198.51.100.7:0',
    ];
    for (const addr of refused) expect(guard.allows(addr, contact()), addr).toBe(false);
    expect(guard.refused()).toEqual({
      unspecified: 1,
      loopback: 4,
      'link-local': 2,
      multicast: 1,
      broadcast: 1,
      'not-ip': 2,
      lan: 1,
      'this-host': 1,
      port: 1,
    });
    expect(r.refusals()).toHaveLength(refused.length);
    expect(r.refusals()[1]!.fields).toEqual({
      address: '127.0.0.1',
      port: 5000,
      hash: HASH,
      source: 'contact',
      reason: '127.0.0.1 is a loopback address',
      code: 'loopback',
    });
    expect(r.lines.filter((l) => l.msg === 'dialling a peer').map((l) => l.level)).toEqual([
      'debug',
      'debug',
    ]);
  });

  it('dials a LAN address only with evidence that the contact shares our LAN', () => {
    const r = recorder();
    const guard = new DialGuard({ allow: [], log: r.log, interfaces: () => home });
    const offer = { jid: 'bob@example.org', publicAddresses: ['203.0.113.5'] };
    const lan = { hash: HASH, source: 'contact', offer };
    // We do not know our own public address yet.
    expect(guard.allows('192.168.1.30:8000', lan)).toBe(false);
    guard.setOwnPublic(['203.0.113.5']);
    expect(guard.allows('192.168.1.30:8000', lan)).toBe(true);
    // Another router's public address; the address off our subnets; no offer at all (a tracker).
    expect(
      guard.allows('192.168.1.30:8000', { ...lan, offer: { ...offer, publicAddresses: ['198.51.100.1'] } }),
    ).toBe(false);
    expect(guard.allows('10.0.0.5:8000', lan)).toBe(false);
    expect(guard.allows('192.168.1.30:8000', { hash: HASH, source: 'tracker' })).toBe(false);
    // Evidence opens the LAN only: loopback and our own public address stay refused.
    expect(guard.allows('127.0.0.1:8000', lan)).toBe(false);
    expect(guard.allows('203.0.113.5:8000', lan)).toBe(false);
    expect(
      r.refusals().map((l) => [l.fields['address'], l.fields['contact'] ?? null, l.fields['code']]),
    ).toEqual([
      // (the second refusal of the same address for the same contact is not logged again)
      ['192.168.1.30', 'bob@example.org', 'lan'],
      ['10.0.0.5', 'bob@example.org', 'lan'],
      ['192.168.1.30', null, 'lan'],
      ['127.0.0.1', 'bob@example.org', 'loopback'],
      ['203.0.113.5', 'bob@example.org', 'own-network'],
    ]);
  });

  it('dials what the operator allows (BITWEEN_DIAL_ALLOW), whatever the class', () => {
    const guard = new DialGuard({ allow: ['127.0.0.2', '10.9.0.0/16'], log: recorder().log });
    expect(guard.allows('127.0.0.2:8000', contact())).toBe(true);
    expect(guard.allows('[::ffff:127.0.0.2]:8000', contact())).toBe(true);
    expect(guard.allows('10.9.1.1:8000', contact('tracker'))).toBe(true);
    expect(guard.allows('127.0.0.1:8000', contact())).toBe(false);
    expect(guard.refused()).toEqual({ loopback: 1 });
  });

  it('logs at most logLimit refusals per window, each once, and sums up the rest', () => {
    const r = recorder();
    let now = 0;
    const guard = new DialGuard({ allow: [], log: r.log, logLimit: 3, logWindowMs: 1000, now: () => now });
    for (let round = 0; round < 2; round++)
      for (let i = 1; i <= 10; i++) guard.allows(`127.0.0.${i}:80`, contact());
    expect(guard.refused()).toEqual({ loopback: 20 });
    expect(r.refusals().map((l) => l.fields['address'])).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    now = 1000;
    guard.allows('127.0.0.1:80', contact());
    expect(r.lines.at(-2)).toMatchObject({
      level: 'info',
      msg: 'refused more dials than were logged',
      fields: { notLogged: 14, refusedDials: { loopback: 21 } },
    });
    expect(r.lines.at(-1)).toMatchObject({ msg: 'refused to dial a peer', fields: { address: '127.0.0.1' } });
  });
});
