import { describe, expect, it } from 'vitest';
import { PeerFilter, normaliseIp } from './peer-filter.js';

const ep = (address: string) => ({ address, port: 6881 });
const friend = (jid: string, ...addresses: string[]) => ({ jid, addresses });

describe('normaliseIp', () => {
  it('unwraps IPv4-mapped IPv6 and lower-cases', () => {
    expect(normaliseIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normaliseIp('2001:DB8::1')).toBe('2001:db8::1');
  });
});

describe('PeerFilter', () => {
  it('lets everyone in when off', () => {
    expect(new PeerFilter(false).allows('203.0.113.9')).toBe(true);
  });

  it('accepts contacts’ addresses (any port), hash peers and configured blocks; nobody else', () => {
    const f = new PeerFilter(true, ['127.0.0.1', '10.9.0.0/16', 'fd00::/8']);
    f.setHashPeers('a'.repeat(40), [ep('198.51.100.7')]);
    f.replaceFriends([friend('bob@x', '203.0.113.5', '2001:db8::5')]);
    for (const ip of [
      '198.51.100.7',
      '203.0.113.5',
      '::ffff:203.0.113.5',
      '2001:db8::5',
      '127.0.0.1',
      '10.9.4.4',
      'fd12::1',
    ])
      expect(f.allows(ip), ip).toBe(true);
    for (const ip of ['127.0.0.2', '203.0.113.6', '10.8.0.1', '2001:db8::6', undefined])
      expect(f.allows(ip), ip).toBe(false);
  });

  it('forgets an address a contact no longer advertises, and a friend no longer listed', () => {
    const f = new PeerFilter(true);
    f.replaceFriends([friend('bob@x', '203.0.113.5')]);
    f.replaceFriends([friend('bob@x', '203.0.113.8')]);
    expect(f.allows('203.0.113.5')).toBe(false);
    f.replaceFriends([friend('carol@x', '203.0.113.5')]);
    expect([f.allows('203.0.113.5'), f.allows('203.0.113.8')]).toEqual([true, false]);
    f.replaceFriends([]);
    expect(f.allows('203.0.113.5')).toBe(false);
  });
});

describe('PeerFilter.announcedBy (admission by address)', () => {
  it('tells which contact announces an address, from lists and hash endpoints', () => {
    const f = new PeerFilter(true, ['10.9.0.0/16']);
    f.replaceFriends([friend('Legacy@x', '203.0.113.5')]);
    f.setHashPeers('a'.repeat(40), [
      { ...ep('198.51.100.7'), jid: 'new@y' },
      { ...ep('198.51.100.8') }, // an older gateway names no contact
    ]);
    const legacy = (jid: string) => jid === 'legacy@x';
    expect(f.announcedBy('::ffff:203.0.113.5', legacy)).toBe(true);
    expect(f.announcedBy('198.51.100.7', legacy)).toBe(false);
    expect(f.announcedBy('198.51.100.7', (jid) => jid === 'new@y')).toBe(true);
    expect(f.announcedBy('198.51.100.8', (jid) => jid === '')).toBe(true);
    expect(f.announcedBy(undefined, () => true)).toBe(false);
    expect([f.extraAllows('10.9.1.1'), f.extraAllows('10.8.1.1')]).toEqual([true, false]);
  });
});
