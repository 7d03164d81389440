import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  MAX_MAGNET_LENGTH,
  MAX_MAGNET_PEERS,
  MAX_NAME_LENGTH,
  NS_FILE_METADATA,
  NS_HASHES,
  NS_SFS,
  NS_URL_DATA,
  decodeFileSharing,
  encodeFileSharing,
  magnetPeers,
  parseMagnet,
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
  it('publish: exactly the golden IQ (id = info-hash, publish-options, SHA-256, magnet with x.pe)', () => {
    const share = { ...SHARE, sha256: 'EZoySbJqLrkyYluBm8ucncAz4H66wTJwoV3QZHCQotw=' };
    const iq = xml('iq', { type: 'set', id: '7' }, publishFileItem({ share, endpoints: ENDPOINTS }));
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
    const sha256 = createHash('sha256').update('the file').digest('base64');
    const hashed = encodeFileSharing({ share: { ...SHARE, sha256 }, endpoints: [] });
    const hash = hashed.getChild('file')?.getChild('hash', 'urn:xmpp:hashes:2');
    expect(hash?.attrs.algo).toBe('sha-256');
    expect(hash?.getText()).toBe(sha256);
    // What we publish, we read back.
    expect(decodeFileSharing(hashed)).toMatchObject({ sha256 });
  });
});

/** A `<file-sharing/>` as a contact might craft it. */
function crafted(opts: {
  name?: string;
  size?: string;
  mediaType?: string;
  targets?: string[];
  hashes?: { algo?: string; text: string; xmlns?: string }[];
}) {
  const { name = 'a.bin', size = '5', targets = [`magnet:?xt=urn:btih:${'a'.repeat(40)}`] } = opts;
  return xml(
    'file-sharing',
    { xmlns: NS_SFS },
    xml(
      'file',
      { xmlns: NS_FILE_METADATA },
      xml('name', {}, name),
      xml('size', {}, size),
      ...(opts.mediaType !== undefined ? [xml('media-type', {}, opts.mediaType)] : []),
      ...(opts.hashes ?? []).map((h) =>
        xml('hash', { xmlns: h.xmlns ?? NS_HASHES, ...(h.algo ? { algo: h.algo } : {}) }, h.text),
      ),
    ),
    xml('sources', {}, ...targets.map((target) => xml('url-data', { xmlns: NS_URL_DATA, target }))),
  );
}

describe('reading a <file-sharing/> from a contact (hostile input)', () => {
  it('refuses sizes that are not a plain decimal number of bytes', () => {
    for (const size of ['-1', '1e9', '0x10', ' ', '99999999999999999999', '1.5', '+3'])
      expect(typeof decodeFileSharing(crafted({ size }))).toBe('string');
    expect(decodeFileSharing(crafted({ size: '9007199254740991' }))).toMatchObject({ size: 2 ** 53 - 1 });
  });

  it('refuses a name far over the bound and cleans one within it (bidi, zero-width, cut)', () => {
    expect(typeof decodeFileSharing(crafted({ name: 'x'.repeat(MAX_NAME_LENGTH * 4 + 1) }))).toBe('string');
    const read = decodeFileSharing(crafted({ name: `evil\u202Egpj.exe\u200B${'y'.repeat(2000)}` }));
    expect(typeof read !== 'string' && read.name).toMatch(/^evilgpj\.exey+$/);
    expect(typeof read !== 'string' && [...read.name].length).toBe(MAX_NAME_LENGTH);
  });

  it('drops a media type that is not one, keeps a plain one lower-cased', () => {
    const bad = decodeFileSharing(crafted({ mediaType: 'text/html\r\nX-Evil: 1' }));
    expect(typeof bad !== 'string' && bad.mediaType).toBeUndefined();
    const good = decodeFileSharing(crafted({ mediaType: 'Video/MP4' }));
    expect(typeof good !== 'string' && good.mediaType).toBe('video/mp4');
  });

  it("reads one <hash algo='sha-256'/> of 32 bytes; any other hash is ignored and the item still read", () => {
    const digest = createHash('sha256').update('x').digest();
    const sha256 = digest.toString('base64');
    const read = (hashes: { algo?: string; text: string; xmlns?: string }[]) => {
      const file = decodeFileSharing(crafted({ hashes }));
      if (typeof file === 'string') throw new Error(`refused: ${file}`);
      return { sha256: file.sha256, ignored: file.hashIgnored };
    };
    expect(read([])).toEqual({ sha256: undefined, ignored: undefined });
    expect(read([{ algo: 'sha-256', text: ` ${sha256}\n` }])).toEqual({ sha256, ignored: undefined });
    // Another algorithm beside it is skipped (XEP-0446 allows one per algorithm).
    expect(
      read([
        { algo: 'blake2b-256', text: sha256 },
        { algo: 'sha-256', text: sha256 },
      ]).sha256,
    ).toBe(sha256);
    // Not an XEP-0300 (hashes:2) element: not looked at.
    expect(read([{ algo: 'sha-256', text: sha256, xmlns: 'urn:xmpp:hashes:1' }])).toEqual({
      sha256: undefined,
      ignored: undefined,
    });
    for (const hashes of [
      [{ algo: 'sha-1', text: createHash('sha1').update('x').digest('base64') }], // unknown to us
      [{ algo: 'SHA-256', text: sha256 }],
      [{ text: sha256 }], // no algo
      [{ algo: 'sha-256', text: digest.toString('hex') }], // hex, not base64
      [{ algo: 'sha-256', text: digest.subarray(0, 31).toString('base64') }], // 31 bytes
      [{ algo: 'sha-256', text: Buffer.concat([digest, digest]).toString('base64') }], // 64 bytes
      [{ algo: 'sha-256', text: `${sha256.slice(0, 40)}!!!=` }], // not base64
      [{ algo: 'sha-256', text: '' }],
      [
        { algo: 'sha-256', text: sha256 },
        { algo: 'sha-256', text: sha256 },
      ], // several
      Array.from({ length: 9 }, (_, i) => ({ algo: `x-${i}`, text: sha256 })), // too many
    ]) {
      const got = read(hashes);
      expect(got.sha256, JSON.stringify(hashes).slice(0, 80)).toBeUndefined();
      expect(got.ignored).toEqual(expect.any(String));
    }
  });

  it('refuses sources without a v1 magnet, and magnets over the length bound', () => {
    for (const targets of [
      [],
      ['https://example.org/a.bin'],
      ['magnet:?xt=urn:btmh:1220' + 'a'.repeat(64)],
      [`magnet:?xt=urn:btih:${'g'.repeat(40)}`],
      [`magnet:?xt=urn:btih:${'a'.repeat(40)}&x.pe=${'1.2.3.4:1&x.pe='.repeat(1000)}1.2.3.4:1`],
    ])
      expect(typeof decodeFileSharing(crafted({ targets }))).toBe('string');
    expect(
      typeof parseMagnet(`magnet:?xt=urn:btih:${'a'.repeat(40)}&dn=${'z'.repeat(MAX_MAGNET_LENGTH)}`),
    ).toBe('string');
  });

  it('looks at a bounded number of sources: a valid magnet after 8 junk ones is not searched for', () => {
    const junk = Array.from({ length: 8 }, () => 'magnet:?xt=urn:btih:nothex');
    expect(
      typeof decodeFileSharing(crafted({ targets: [...junk, `magnet:?xt=urn:btih:${'b'.repeat(40)}`] })),
    ).toBe('string');
  });

  it('keeps only x.pe addresses bitween may dial, canonical and without duplicates', () => {
    const peers = [
      '127.0.0.1:6881',
      '[::1]:6881',
      '[::ffff:127.0.0.1]:6881',
      '169.254.1.1:6881',
      '224.0.0.1:6881',
      '0.0.0.0:6881',
      '203.0.113.5:0',
      '203.0.113.5:65536',
      'evil.example:6881',
      '[2001:0db8:0:0:0:0:0:5]:7000',
      '[2001:db8::5]:7000',
      '203.0.113.5:6881',
    ];
    const read = parseMagnet(
      `magnet:?xt=urn:btih:${'C'.repeat(40)}&${peers.map((p) => `x.pe=${p}`).join('&')}`,
    );
    expect(read).toEqual({
      hash: 'c'.repeat(40),
      endpoints: [
        { address: '2001:db8::5', port: 7000 },
        { address: '203.0.113.5', port: 6881 },
      ],
      droppedPeers: 9,
    });
  });
});
