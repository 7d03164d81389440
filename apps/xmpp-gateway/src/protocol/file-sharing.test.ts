import { readFileSync } from 'node:fs';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  MAX_MAGNET_PEERS,
  MAX_NAME_LENGTH,
  encodeFileSharing,
  magnetPeers,
  mediaTypeOf,
  publishFileItem,
  retractFileItem,
} from './file-sharing.js';

/** Golden files written by hand from XEP-0498 §5.1, XEP-0447 §3, XEP-0446 and BEP 9. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const compact = (text: string) => text.replace(/>\s+</g, '><').trim();

const SHARE = { hash: '3F786850E387550FDAB836ED7E6DC881DE23001B', name: 'holiday 2025.mkv', size: 734003200 };
const ENDPOINTS = [
  { address: '203.0.113.5', port: 8000 },
  { address: '2001:0db8:0:0:0:0:0:5', port: 8000 },
  { address: '192.168.1.20', port: 8000 },
];

describe('XEP-0498 share items', () => {
  it('publish: exactly the golden IQ (id = info-hash, publish-options, magnet with x.pe)', () => {
    const iq = xml('iq', { type: 'set', id: '7' }, publishFileItem({ share: SHARE, endpoints: ENDPOINTS }));
    expect(iq.toString()).toBe(compact(fixture('file-sharing-publish.xml')));
  });

  it('retract: exactly the golden IQ', () => {
    const iq = xml('iq', { type: 'set', id: '8' }, retractFileItem(SHARE.hash));
    expect(iq.toString()).toBe(compact(fixture('file-sharing-retract.xml')));
  });

  it('a magnet never carries addresses bitween must not dial', () => {
    const peers = magnetPeers([
      { address: '127.0.0.1', port: 1 },
      { address: '::1', port: 2 },
      { address: '169.254.1.1', port: 3 },
      { address: 'fe80::1', port: 4 },
      { address: '0.0.0.0', port: 5 },
      { address: '224.0.0.1', port: 6 },
      { address: 'example.org', port: 7 },
      { address: '198.51.100.7', port: 0 },
      { address: '198.51.100.7', port: 70000 },
      { address: '10.1.2.3', port: 9 },
      { address: '::ffff:198.51.100.7', port: 8 },
      { address: '198.51.100.7', port: 8 },
    ]);
    expect(peers).toEqual(['10.1.2.3:9', '198.51.100.7:8']);
  });

  it('at most MAX_MAGNET_PEERS addresses', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ address: `198.51.100.${i + 1}`, port: 6881 }));
    expect(magnetPeers(many)).toHaveLength(MAX_MAGNET_PEERS);
  });

  it('names are cleaned (bidi overrides, zero-width), bounded, and escaped in the magnet', () => {
    const hostile = `evil\u202Egpj.exe\u200B&xt=urn:btih:${'0'.repeat(40)}`;
    const el = encodeFileSharing({ share: { ...SHARE, name: hostile }, endpoints: [] });
    const name = el.getChild('file')?.getChildText('name');
    expect(name).toBe(`evilgpj.exe&xt=urn:btih:${'0'.repeat(40)}`);
    const target = String(el.getChild('sources')?.getChild('url-data')?.attrs.target);
    expect(target.match(/xt=/g)).toHaveLength(1);
    expect(new URL(target).searchParams.get('dn')).toBe(name);
    const long = encodeFileSharing({ share: { ...SHARE, name: 'x'.repeat(5000) }, endpoints: [] });
    expect(long.getChild('file')?.getChildText('name')).toHaveLength(MAX_NAME_LENGTH);
  });

  it('a name with nothing visible left is published as "(no name)"', () => {
    const el = encodeFileSharing({ share: { ...SHARE, name: '\u200B\u202E' }, endpoints: [] });
    expect(el.getChild('file')?.getChildText('name')).toBe('(no name)');
  });

  it('media type from the extension, none when unknown; hash only when given', () => {
    expect(mediaTypeOf('a.pdf')).toBe('application/pdf');
    expect(mediaTypeOf('Photos')).toBeUndefined();
    const folder = encodeFileSharing({ share: { ...SHARE, name: 'Photos' }, endpoints: [] });
    expect(folder.getChild('file')?.getChild('media-type')).toBeUndefined();
    expect(folder.getChild('file')?.getChild('hash')).toBeUndefined();
    const hashed = encodeFileSharing({ share: SHARE, endpoints: [], sha256: 'q83vEjRWeJA=' });
    expect(hashed.getChild('file')?.getChild('hash', 'urn:xmpp:hashes:2')?.attrs.algo).toBe('sha-256');
  });
});
