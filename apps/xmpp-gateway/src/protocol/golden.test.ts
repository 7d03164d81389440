import { readFileSync } from 'node:fs';
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { hasIndexMarker } from './buckets.js';
import { parseDocument } from './xml-document.js';
import { publishPayload, sharesEvent } from './pubsub.js';
import { decodeUserShares, encodeUserShares } from './shares-codec.js';

/**
 * Golden files: XML written by hand from the protocol reference (the original Bitween's wire
 * format), read in both directions. Whitespace between elements is not significant.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const compact = (text: string) => text.replace(/>\s+</g, '><').trim();
const load = (name: string): Element => {
  const el = parseDocument(compact(fixture(name)));
  if (!el) throw new Error(`${name} is not XML`);
  return el;
};

const REFERENCE = [
  {
    resource: 'laptop',
    shares: [{ hash: '3f786850e387550fdab836ed7e6dc881de23001b', name: 'holiday', size: 734003200 }],
    endpoints: [
      { address: '203.0.113.5', port: 8000 },
      { address: '2001:db8::5', port: 8000 },
    ],
  },
  {
    resource: 'server',
    shares: [{ hash: '2b66fd261ee5c6cfc8de7fa466bab600bcfe4f69', name: 'backup.tar', size: 1048576 }],
    endpoints: [{ address: '198.51.100.7', port: 8001 }],
  },
];

describe('golden files from the protocol reference', () => {
  it('we publish exactly the reference IQ', () => {
    const iq = xml('iq', { type: 'set', id: '42' }, publishPayload(encodeUserShares(REFERENCE)));
    expect(iq.toString()).toBe(compact(fixture('reference-publish.xml')));
  });

  it('we read the reference IQ’s payload', () => {
    const payload = load('reference-publish.xml')
      .getChild('pubsub')
      ?.getChild('publish')
      ?.getChild('item')
      ?.getChildElements()[0];
    expect(payload && decodeUserShares(payload)).toEqual({ ok: true, resources: REFERENCE, problems: [] });
  });

  it('we read the reference notification', () => {
    const event = sharesEvent(load('reference-event.xml'));
    expect(event?.kind).toBe('item');
    const payload = event?.kind === 'item' ? event.payload : null;
    expect(payload && decodeUserShares(payload)).toEqual({ ok: true, resources: REFERENCE, problems: [] });
  });

  it('"no shares" is an empty user_shares, both ways', () => {
    const event = sharesEvent(load('no-shares-event.xml'));
    const payload = event?.kind === 'item' ? event.payload : null;
    expect(payload && decodeUserShares(payload)).toEqual({ ok: true, resources: [], problems: [] });
    expect(encodeUserShares([]).toString()).toBe(payload?.toString());
  });

  it('our extension is in our own namespace and does not disturb a strict reader', () => {
    const el = load('extended-item.xml');
    // What an original peer reads: the resource children of its namespace.
    const originals = el.getChildren('resource', 'https://xmpp.kwoh.de/protocol/shares');
    expect(originals).toHaveLength(1);
    expect(
      el
        .getChildElements()
        .filter((c) => c.name !== 'resource')
        .map((c) => c.attrs.xmlns as unknown),
    ).toEqual(['urn:bitween:shares:0']);
    const decoded = decodeUserShares(el);
    expect(decoded).toEqual({
      ok: true,
      problems: [],
      resources: [
        {
          resource: 'laptop/engine-1',
          shares: [{ hash: '3f786850e387550fdab836ed7e6dc881de23001b', name: 'holiday', size: 734003200 }],
          endpoints: [{ address: '203.0.113.5', port: 8000 }],
        },
      ],
    });
    expect(hasIndexMarker(el)).toBe(true);
  });
});
