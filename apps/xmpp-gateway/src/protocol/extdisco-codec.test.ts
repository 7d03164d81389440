import { readFileSync } from 'node:fs';
import { IceServer } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { firstStun } from '../discovery/ice-servers.js';
import { credentialsQuery, decodeServices, servicesQuery, toIceServers } from './extdisco-codec.js';
import { parseDocument } from './xml-document.js';

const load = (name: string) => {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .replace(/>\s+</g, '><')
    .trim();
  const el = parseDocument(text);
  if (!el) throw new Error(`${name} is not XML`);
  return el;
};

describe('XEP-0215 codec', () => {
  it('writes the queries', () => {
    expect(servicesQuery().toString()).toBe('<services xmlns="urn:xmpp:extdisco:2"/>');
    expect(
      credentialsQuery([
        {
          type: 'turn',
          host: 'turn.example.org',
          port: 3478,
          transport: 'tcp',
          username: null,
          password: null,
          restricted: true,
          expires: null,
        },
      ]).toString(),
    ).toBe(
      '<credentials xmlns="urn:xmpp:extdisco:2"><service type="turn" host="turn.example.org" port="3478"/></credentials>',
    );
  });

  it('reads what Prosody 0.12 (mod_turn_external) answers, as RTCIceServer entries', () => {
    const services = decodeServices(load('extdisco-prosody.xml').getChild('services'));
    expect(services.map((s) => s.type)).toEqual(['stun', 'turn', 'turn']); // ftp skipped
    expect(services[1]).toMatchObject({
      restricted: true,
      username: '1765080000',
      expires: Date.parse('2025-12-07T04:00:00Z'),
    });
    const { iceServers, expiresAt } = toIceServers(services);
    // (the TCP TURN came without credentials: useless to WebRTC, left out)
    expect(iceServers).toEqual([
      { urls: ['stun:turn.example.org:3478'] },
      {
        urls: ['turn:turn.example.org:3478?transport=udp'],
        username: '1765080000',
        credential: 'b3ZkYWVzZTh2ZGFzZGZhc2Q=',
      },
    ]);
    for (const s of iceServers) expect(IceServer.parse(s)).toEqual(s);
    expect(expiresAt).toBe(Date.parse('2025-12-07T04:00:00Z'));
    expect(firstStun(iceServers)).toBe('turn.example.org:3478');
  });

  it('skips services with odd hosts or ports and answers of other kinds', () => {
    const el = parseDocument(
      '<services xmlns="urn:xmpp:extdisco:2"><service type="stun" host="a b" port="1"/><service type="stun" host="x.org" port="70000"/><service type="stun" host="2001:db8::1"/></services>',
    );
    const services = decodeServices(el ?? undefined);
    expect(toIceServers(services).iceServers).toEqual([{ urls: ['stun:[2001:db8::1]'] }]);
    expect(firstStun(toIceServers(services).iceServers)).toBe('[2001:db8::1]:3478');
    expect(decodeServices(parseDocument('<query xmlns="urn:other"/>') ?? undefined)).toEqual([]);
  });
});
