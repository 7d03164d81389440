import { deflateRawSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { fullMarker, NS_FULL, packList, parseDocument, unpackChunks } from './full-list.js';
import { publishPayload } from './pubsub.js';
import { decodeUserShares, type ResourceEntry } from './shares-codec.js';

const hex = (i: number) => createHash('sha1').update(String(i)).digest('hex');
function bigList(n: number): ResourceEntry[] {
  return [
    {
      resource: 'laptop/engine-1',
      shares: Array.from({ length: n }, (_, i) => ({
        hash: hex(i),
        name: `file number ${i}.mkv`,
        size: 1000 + i,
      })),
      endpoints: [
        { address: '203.0.113.5', port: 8000 },
        { address: '2001:db8::5', port: 8000 },
      ],
    },
  ];
}
const stanzaBytes = (payload: ReturnType<typeof xml>) =>
  Buffer.byteLength(
    xml(
      'iq',
      { type: 'set', id: 'abcdefgh' },
      publishPayload(payload, `${NS_FULL}/chunk/99`, 'x'.repeat(64)),
    ).toString(),
  );

describe('large lists', () => {
  it('a list that fits goes out whole, without chunks', () => {
    const packed = packList(bigList(10), 64 * 1024);
    expect(packed.chunks).toEqual([]);
    expect(decodeUserShares(packed.current)).toEqual({ ok: true, resources: bigList(10), problems: [] });
  });

  it('10,000 shares: every stanza under the cap, a valid partial `current`, the whole list back from the chunks', () => {
    const list = bigList(10_000);
    for (const cap of [64 * 1024, 256 * 1024]) {
      const packed = packList(list, cap);
      expect(packed.chunks.length).toBeGreaterThan(0);
      for (const c of [packed.current, ...packed.chunks]) expect(stanzaBytes(c)).toBeLessThanOrEqual(cap);
      const partial = decodeUserShares(packed.current);
      expect(partial.ok && partial.problems).toEqual([]);
      const shown = partial.ok ? (partial.resources[0]?.shares.length ?? 0) : 0;
      expect(shown).toBeGreaterThan(100);
      expect(shown).toBeLessThan(10_000);
      const marker = fullMarker(packed.current);
      expect(marker).toEqual({ id: packed.id, chunks: packed.chunks.length });
      // Through text, as over the wire.
      const wire = packed.chunks.map((c) => parseDocument(c.toString()));
      const full = unpackChunks(marker!, wire);
      expect(typeof full).not.toBe('string');
      if (typeof full !== 'string')
        expect(decodeUserShares(full)).toEqual({ ok: true, resources: list, problems: [] });
    }
  });

  it('refuses chunks that are missing, foreign, tampered, a deflate bomb or a DTD', () => {
    const packed = packList(bigList(3000), 64 * 1024);
    const marker = fullMarker(packed.current)!;
    expect(unpackChunks(marker, packed.chunks.slice(1))).toMatch(/expected/);
    const swapped = [...packed.chunks].reverse();
    expect(unpackChunks(marker, swapped)).toMatch(/another list/);
    const tampered = packed.chunks.map((c, i) =>
      i === 0 ? xml('chunk', { ...c.attrs }, `AAAA${c.getText().slice(4)}`) : c,
    );
    expect(unpackChunks(marker, tampered)).toMatch(/inflate|does not match/);

    const chunkOf = (data: Buffer) => {
      const id = createHash('sha256').update(data).digest('hex');
      const raw = deflateRawSync(data).toString('base64');
      return {
        marker: { id, chunks: 1 },
        chunk: xml('chunk', { xmlns: NS_FULL, id, index: '0', count: '1' }, raw),
      };
    };
    const bomb = chunkOf(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(unpackChunks(bomb.marker, [bomb.chunk])).toMatch(/cannot inflate/);
    const dtd = chunkOf(
      Buffer.from(
        '<!DOCTYPE user_shares [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><user_shares xmlns="https://xmpp.kwoh.de/protocol/shares"><resource resource="&b;"/></user_shares>',
      ),
    );
    expect(unpackChunks(dtd.marker, [dtd.chunk])).toMatch(/DOCTYPE/);
  });
});
