import { readFileSync } from 'node:fs';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { MAX_MAGNET_PEERS, MAX_NAME_LENGTH, NS_FILE_METADATA, NS_SFS, NS_URL_DATA } from './file-sharing.js';
import { MAX_SHARE_MESSAGE_BYTES, readShareMessage, shareMessage } from './share-message.js';
import { parseDocument } from './xml-document.js';

/** Golden file written by hand from XEP-0447 §3.1, XEP-0446, XEP-0428 §2 and BEP 9. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const compact = (text: string) => text.replace(/>\s+</g, '><').trim();

const HASH = '3f786850e387550fdab836ed7e6dc881de23001b';
const SHARE = { hash: HASH.toUpperCase(), name: 'holiday 2025.mkv', size: 734003200 };
const ENDPOINTS = [
  { address: '203.0.113.5', port: 8000 },
  { address: '127.0.0.1', port: 8000 },
  { address: '192.168.1.20', port: 8000 },
];

/** A message as a contact would send it: `<file-sharing/>` with `file` children and `target` magnet. */
function message(
  opts: { name?: string; size?: string; target?: string; type?: string; extra?: number } = {},
) {
  return xml(
    'message',
    { from: 'alice@example.org/laptop', type: opts.type ?? 'chat' },
    xml('body', {}, 'x'.repeat(opts.extra ?? 0)),
    xml(
      'file-sharing',
      { xmlns: NS_SFS },
      xml(
        'file',
        { xmlns: NS_FILE_METADATA },
        xml('name', {}, opts.name ?? 'a.bin'),
        xml('size', {}, opts.size ?? '1024'),
      ),
      xml(
        'sources',
        {},
        xml('url-data', {
          xmlns: NS_URL_DATA,
          target: opts.target ?? `magnet:?xt=urn:btih:${HASH}&dn=a.bin`,
        }),
      ),
    ),
  );
}

describe('a share sent to a friend (XEP-0447 message)', () => {
  it('send: exactly the golden message (file-sharing, body with the magnet, fallback indication)', () => {
    const { stanza, magnet } = shareMessage('bob@example.org', { share: SHARE, endpoints: ENDPOINTS }, 'm1');
    expect(stanza.toString()).toBe(compact(fixture('share-message.xml')));
    expect(magnet).toBe(
      `magnet:?xt=urn:btih:${HASH}&dn=holiday%202025.mkv&xl=734003200&x.pe=203.0.113.5:8000&x.pe=192.168.1.20:8000`,
    );
    expect(stanza.getChildText('body')).toContain(magnet);
  });

  it('reads back what it sends: hash, name, size, media type, the dialable peers', () => {
    const { stanza } = shareMessage('bob@example.org', { share: SHARE, endpoints: ENDPOINTS }, 'm1');
    const read = readShareMessage(parseDocument(stanza.toString())!);
    expect(read).toEqual({
      kind: 'share',
      file: {
        hash: HASH,
        name: 'holiday 2025.mkv',
        size: 734003200,
        mediaType: 'video/x-matroska',
        endpoints: [
          { address: '203.0.113.5', port: 8000 },
          { address: '192.168.1.20', port: 8000 },
        ],
        droppedPeers: 0,
      },
    });
  });

  it('a message without <file-sharing/> is none of its business', () => {
    expect(readShareMessage(xml('message', { type: 'chat' }, xml('body', {}, 'hi')))).toEqual({
      kind: 'none',
    });
  });

  it('cleans names: bidi overrides and zero-width characters are dropped, long names cut', () => {
    const read = readShareMessage(message({ name: 'rlo\u202Egpj.exe\u200B' }));
    expect(read.kind === 'share' && read.file.name).toBe('rlogpj.exe');
    const long = readShareMessage(message({ name: 'n'.repeat(MAX_NAME_LENGTH + 10) }));
    expect(long.kind === 'share' && long.file.name.length).toBe(MAX_NAME_LENGTH);
  });

  it('keeps only magnet peers bitween may dial, at most MAX_MAGNET_PEERS', () => {
    const bad = [
      '127.0.0.1:1',
      '[::1]:2',
      '169.254.1.1:3',
      '224.0.0.1:4',
      '0.0.0.0:5',
      'host.example:6',
      '1.2.3.4:0',
    ];
    const good = Array.from({ length: MAX_MAGNET_PEERS + 2 }, (_, i) => `203.0.113.${i + 1}:6881`);
    const target = `magnet:?xt=urn:btih:${HASH}${[...bad, ...good].map((p) => `&x.pe=${p}`).join('')}`;
    const read = readShareMessage(message({ target }));
    if (read.kind !== 'share') throw new Error(`refused: ${JSON.stringify(read)}`);
    expect(read.file.endpoints.map((e) => e.address)).toEqual(
      good.slice(0, MAX_MAGNET_PEERS).map((p) => p.split(':')[0]),
    );
    expect(read.file.droppedPeers).toBe(bad.length + 2);
  });

  it.each([
    ['a groupchat message', { type: 'groupchat' }, /type groupchat/],
    ['an error message', { type: 'error' }, /type error/],
    ['an oversized message', { extra: MAX_SHARE_MESSAGE_BYTES }, /bytes/],
    ['no magnet', { target: 'https://example.org/a.bin' }, /no magnet/],
    ['a magnet without a v1 info-hash', { target: 'magnet:?xt=urn:btmh:1220abcd' }, /info-hash/],
    ['a size that is not a number', { size: '-1' }, /size/],
    ['a size beyond 2^53', { size: '99999999999999999' }, /size/],
    ['an empty name', { name: '' }, /name/],
  ])('refuses %s', (_what, opts, reason) => {
    const read = readShareMessage(message(opts));
    expect(read.kind).toBe('refused');
    expect(read.kind === 'refused' && read.reason).toMatch(reason);
  });

  it('refuses two <file-sharing/> in one message', () => {
    const m = message();
    m.append(message().getChild('file-sharing', NS_SFS)!);
    expect(readShareMessage(m)).toEqual({ kind: 'refused', reason: '2 <file-sharing/> elements' });
  });
});
