import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PeerFilter, guardIncoming, normaliseIp } from './peer-filter.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const ep = (address: string) => ({ address, port: 6881 });
const contact = (jid: string, ...addresses: string[]) => ({
  jid,
  receivedAt: 0,
  resources: [{ resource: 'r', online: true, endpoints: addresses.map(ep), shares: [] }],
});

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
    f.setContact(contact('bob@x', '203.0.113.5', '2001:db8::5'));
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

  it('forgets an address a contact no longer advertises', () => {
    const f = new PeerFilter(true);
    f.setContact(contact('bob@x', '203.0.113.5'));
    f.setContact(contact('bob@x', '203.0.113.8'));
    expect(f.allows('203.0.113.5')).toBe(false);
    f.replaceContacts([contact('carol@x', '203.0.113.5')]);
    expect([f.allows('203.0.113.5'), f.allows('203.0.113.8')]).toEqual([true, false]);
  });
});

describe('guardIncoming', () => {
  it('closes refused sockets before webtorrent sees them', () => {
    const seen: string[] = [];
    const client = { _connPool: { _onConnection: (c: Socket) => seen.push(c.remoteAddress ?? '') } };
    const filter = new PeerFilter(true, ['127.0.0.1']);
    const guard = guardIncoming(client, filter, quiet);
    const sock = (remoteAddress: string) => {
      const s = Object.assign(new EventEmitter(), {
        remoteAddress,
        destroyed: false,
        destroy: () => (s.destroyed = true),
      });
      return s;
    };
    const friend = sock('::ffff:127.0.0.1');
    const stranger = sock('127.0.0.2');
    client._connPool._onConnection(friend as unknown as Socket);
    client._connPool._onConnection(stranger as unknown as Socket);
    expect(seen).toEqual(['::ffff:127.0.0.1']);
    expect([friend.destroyed, stranger.destroyed]).toEqual([false, true]);
    expect(guard.dropped()).toBe(1);
  });

  it('refuses to run without the hook', () => {
    expect(() => guardIncoming({}, new PeerFilter(true), quiet)).toThrow(/connection pool/);
  });
});
