import { readFileSync } from 'node:fs';
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../protocol/xml-document.js';
import {
  connectElement,
  connectResultElement,
  decodeConnect,
  decodeConnectResult,
  decodeTicket,
  stanzaError,
  ticketElement,
} from './rendezvous-codec.js';

/** Golden files: the rendezvous IQs exactly as they go on the wire (whitespace between elements aside). */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const compact = (text: string) => text.replace(/>\s+</g, '><').trim();
const load = (name: string): Element => {
  const el = parseDocument(compact(fixture(name)));
  if (!el) throw new Error(`${name} is not XML`);
  return el;
};
const HASH = '3f786850e387550fdab836ed7e6dc881de23001b';
const TICKET = 'Y2s2dHnfLq8GqQK5Zy0s6PbXRCUzv7b1wXK3-8pJ_aE';
const child = (iq: Element) => iq.getChildElements()[0];

describe('rendezvous codec: golden files', () => {
  it('writes the ticket IQ exactly', () => {
    const iq = xml('iq', { type: 'set', id: 't1', to: 'bob@example.org/bitween' }, ticketElement(TICKET));
    expect(iq.toString()).toBe(compact(fixture('ticket-iq.xml')));
  });

  it('reads the ticket IQ', () => {
    expect(decodeTicket(child(load('ticket-iq.xml')))).toEqual({ ok: true, value: TICKET });
  });

  it('writes the connect IQ exactly', () => {
    const iq = xml(
      'iq',
      { type: 'set', id: 'c2' },
      connectElement({
        hash: HASH,
        endpoints: [
          { address: '203.0.113.5', port: 6881 },
          { address: '2001:db8::5', port: 6881 },
        ],
        sdp: 'v=0 (one line for the golden file)',
      }),
    );
    expect(iq.toString()).toBe(fixture('connect-iq-sent.xml').trim());
  });

  it('reads the connect IQ, its SDP with CRLF line ends', () => {
    expect(decodeConnect(child(load('connect-iq.xml')))).toEqual({
      ok: true,
      value: {
        hash: HASH,
        endpoints: [
          { address: '203.0.113.5', port: 6881 },
          { address: '192.168.1.20', port: 6881 },
        ],
        sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host\r\n',
      },
    });
  });

  it('reads the connect result', () => {
    expect(decodeConnectResult(child(load('connect-result.xml')))).toEqual({
      ok: true,
      value:
        'v=0\r\na=candidate:2 1 udp 1686052607 198.51.100.9 40000 typ srflx raddr 10.0.0.2 rport 40000\r\n',
    });
  });

  it('round-trips a result with and without an answer', () => {
    const sdp = 'v=0\r\ns=-\r\n';
    const text = xml('iq', { type: 'result' }, connectResultElement(sdp)).toString();
    expect(decodeConnectResult(child(parseDocument(text) as Element))).toEqual({ ok: true, value: sdp });
    expect(connectResultElement(undefined).toString()).toBe('<connect xmlns="urn:bitween:rendezvous:0"/>');
    expect(decodeConnectResult(undefined)).toEqual({ ok: true, value: undefined });
  });

  it('writes errors with a defined condition and text', () => {
    expect(stanzaError('wait', 'resource-constraint', 'slow down').toString()).toBe(
      '<error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">slow down</text></error>',
    );
  });
});

describe('rendezvous codec: hostile input', () => {
  const connect = (attrs: Record<string, string>, ...children: Element[]) =>
    xml('connect', { xmlns: 'urn:bitween:rendezvous:0', ...attrs }, ...children);

  it('refuses tickets of the wrong shape or namespace', () => {
    expect(decodeTicket(xml('ticket', { xmlns: 'urn:bitween:rendezvous:0', value: 'short' })).ok).toBe(false);
    expect(decodeTicket(xml('ticket', { xmlns: 'urn:bitween:rendezvous:0', value: `${TICKET}=` })).ok).toBe(
      false,
    );
    expect(decodeTicket(xml('ticket', { xmlns: 'urn:other', value: TICKET })).ok).toBe(false);
    expect(decodeTicket(xml('ticket', { xmlns: 'urn:bitween:rendezvous:0' })).ok).toBe(false);
    expect(decodeTicket(undefined).ok).toBe(false);
  });

  it('refuses a bad hash, bad endpoints, too many endpoints, two or oversized SDPs', () => {
    const ep = (address: string, port: string) => xml('endpoint', { address, port });
    expect(decodeConnect(connect({ hash: HASH.toUpperCase() }))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({}))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({ hash: HASH }, ep('evil.example', '1')))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({ hash: HASH }, ep('203.0.113.1', '0')))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({ hash: HASH }, ep('203.0.113.1', '65536')))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({ hash: HASH }, ep('203.0.113.1', '1e3')))).toMatchObject({ ok: false });
    const many = Array.from({ length: 33 }, (_, i) => ep('203.0.113.1', String(i + 1)));
    expect(decodeConnect(connect({ hash: HASH }, ...many))).toMatchObject({
      ok: false,
      reason: 'more than 32 endpoints',
    });
    expect(decodeConnect(connect({ hash: HASH }, ...many.slice(0, 32))).ok).toBe(true);
    expect(decodeConnect(connect({ hash: HASH }, xml('sdp', {}, 'a'), xml('sdp', {}, 'b')))).toMatchObject({
      ok: false,
    });
    expect(decodeConnect(connect({ hash: HASH }, xml('sdp', {}, 'x'.repeat(16_385))))).toMatchObject({
      ok: false,
    });
    expect(decodeConnect(connect({ hash: HASH }, xml('sdp', {})))).toMatchObject({ ok: false });
    expect(decodeConnect(connect({ hash: HASH }))).toEqual({
      ok: true,
      value: { hash: HASH, endpoints: [] },
    });
  });
});
