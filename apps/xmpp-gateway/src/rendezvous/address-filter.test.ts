import { describe, expect, it } from 'vitest';
import { AddressFilter } from './address-filter.js';

describe('AddressFilter', () => {
  const filter = new AddressFilter(['198.51.100.7', '192.168.1.5', '::ffff:203.0.113.99']);

  it('keeps public and LAN addresses, refuses this host, the link, groups, reserved space and our own', () => {
    expect(filter.refusal('203.0.113.5')).toBeNull();
    expect(filter.refusal('192.168.1.20')).toBeNull();
    expect(filter.refusal('2001:db8::5')).toBeNull();
    expect(filter.refusal('127.0.0.1')).toBe('loopback');
    expect(filter.refusal('::1')).toBe('loopback');
    expect(filter.refusal('::ffff:127.0.0.1')).toBe('loopback');
    expect(filter.refusal('0.0.0.0')).toBe('unspecified');
    expect(filter.refusal('169.254.169.254')).toBe('link-local');
    expect(filter.refusal('fe80::1')).toBe('link-local');
    expect(filter.refusal('224.0.0.251')).toBe('multicast');
    expect(filter.refusal('240.0.0.1')).toBe('reserved');
    expect(filter.refusal('198.51.100.7')).toBe('own');
    expect(filter.refusal('192.168.1.5')).toBe('own');
    expect(filter.refusal('203.0.113.99')).toBe('own');
    expect(filter.refusal('abcd.local')).toBe('not-ip');
  });

  it('filters endpoints', () => {
    expect(
      filter.endpoints([
        { address: '203.0.113.5', port: 1 },
        { address: '127.0.0.1', port: 2 },
        { address: '198.51.100.7', port: 3 },
      ]),
    ).toEqual({ kept: [{ address: '203.0.113.5', port: 1 }], dropped: 2 });
  });

  it('removes a=candidate lines naming refused addresses and keeps everything else byte for byte', () => {
    const sdp = [
      'v=0',
      'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'c=IN IP4 0.0.0.0',
      'a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0',
      'a=candidate:2 1 udp 2122260223 127.0.0.1 50001 typ host',
      'a=candidate:3 1 tcp 1518280447 ::1 9 typ host tcptype active',
      'a=candidate:4 1 udp 1686052607 198.51.100.7 40000 typ srflx raddr 192.168.1.5 rport 40000',
      'a=candidate:5 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 10.0.0.2 rport 40000',
      'a=candidate:6 1 udp 2122260223 4bf1c3f1-9d2c-4c1e.local 50002 typ host',
      'a=candidate:7 1 udp 2122260223 169.254.3.3 50003 typ host',
      'a=ice-ufrag:abcd',
      '',
    ].join('\r\n');
    const out = filter.sdp(sdp);
    expect(out.dropped).toBe(5);
    expect(out.kept).toBe(2);
    expect(out.sdp).toBe(
      [
        'v=0',
        'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        'c=IN IP4 0.0.0.0',
        'a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0',
        'a=candidate:5 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 10.0.0.2 rport 40000',
        'a=ice-ufrag:abcd',
        '',
      ].join('\r\n'),
    );
  });
});
