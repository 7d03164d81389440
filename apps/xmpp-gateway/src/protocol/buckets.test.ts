import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  bucketCount,
  bucketNode,
  bucketOf,
  hasIndexMarker,
  INDEX_NODE,
  layoutList,
  mergeBuckets,
  NS_FULL,
  readBucket,
  readIndex,
  type Layout,
} from './buckets.js';
import { publishPayload } from './pubsub.js';
import { decodeUserShares, type ResourceEntry } from './shares-codec.js';
import { parseDocument } from './xml-document.js';

const hex = (i: number) => createHash('sha1').update(String(i)).digest('hex');
const share = (i: number) => ({ hash: hex(i), name: `file number ${i}.mkv`, size: 1000 + i });
function bigList(n: number, from = 0): ResourceEntry[] {
  return [
    {
      resource: 'laptop/engine-1',
      shares: Array.from({ length: n }, (_, i) => share(from + i)),
      endpoints: [
        { address: '203.0.113.5', port: 8000 },
        { address: '2001:db8::5', port: 8000 },
      ],
    },
    {
      resource: 'server/engine-2',
      shares: [share(99_999)],
      endpoints: [{ address: '198.51.100.7', port: 8001 }],
    },
  ];
}
const stanzaBytes = (payload: ReturnType<typeof xml>, node: string) =>
  Buffer.byteLength(
    xml('iq', { type: 'set', id: 'abcdefgh' }, publishPayload(payload, node, 'x'.repeat(64))).toString(),
  );
const CAP = 64 * 1024;
const DIRECT = 8 * 1024;

/** Read a layout back as a friend does, through text as over the wire. */
function readBack(layout: Layout): ResourceEntry[] {
  const wire = (el: ReturnType<typeof xml>) => parseDocument(el.toString())!;
  const index = readIndex(wire(layout.index!));
  if (typeof index === 'string') throw new Error(index);
  const entries = decodeUserShares(index.entries);
  if (!entries.ok) throw new Error('entries');
  const budget = { left: 8 * 1024 * 1024 };
  const buckets = index.ids.map((id, k) => {
    const doc = readBucket(wire(layout.buckets[k]!.payload), { index: k, count: index.count, id }, budget);
    if (typeof doc === 'string') throw new Error(doc);
    const decoded = decodeUserShares(doc);
    if (!decoded.ok || decoded.problems.length > 0) throw new Error('bucket');
    return decoded.resources;
  });
  const merged = mergeBuckets(entries.resources, buckets, 50_000);
  expect(merged.problems).toEqual([]);
  return merged.resources;
}
const sorted = (list: ResourceEntry[]) =>
  list.map((r) => ({ ...r, shares: [...r.shares].sort((a, b) => a.hash.localeCompare(b.hash)) }));

describe('lists in buckets', () => {
  it('a small list goes out whole in `current`, as the original publishes it', () => {
    const layout = layoutList(bigList(10), CAP, DIRECT);
    expect(layout.index).toBeNull();
    expect(layout.buckets).toEqual([]);
    expect(hasIndexMarker(layout.current)).toBe(false);
    expect(decodeUserShares(layout.current)).toEqual({ ok: true, resources: bigList(10), problems: [] });
  });

  it('partitions by info-hash into a power of two of buckets', () => {
    expect([0, 160, 161, 10_000, 1e6].map(bucketCount)).toEqual([1, 1, 2, 64, 256]);
    expect(bucketOf('0000' + 'f'.repeat(36), 128)).toBe(0);
    expect(bucketOf('ffff' + '0'.repeat(36), 128)).toBe(127);
    expect(bucketOf('8000' + '0'.repeat(36), 2)).toBe(1);
  });

  it('10,000 shares: stanzas under the cap, a valid partial `current`, the whole list back from index and buckets', () => {
    const list = bigList(10_000);
    const layout = layoutList(list, CAP, DIRECT);
    expect(layout.buckets).toHaveLength(64);
    expect(stanzaBytes(layout.current, 'https://xmpp.kwoh.de/protocol/shares')).toBeLessThanOrEqual(CAP);
    expect(stanzaBytes(layout.index!, INDEX_NODE)).toBeLessThan(4 * 1024);
    for (const b of layout.buckets)
      expect(stanzaBytes(b.payload, bucketNode(b.index))).toBeLessThan(12 * 1024);
    // What an original reads: resource children, a share subset, every endpoint.
    const partial = decodeUserShares(layout.current);
    expect(partial.ok && partial.problems).toEqual([]);
    const shown = partial.ok ? partial.resources.reduce((n, r) => n + r.shares.length, 0) : 0;
    expect(shown).toBeGreaterThan(300);
    expect(shown).toBeLessThan(10_001);
    expect(partial.ok && partial.resources.map((r) => r.endpoints)).toEqual(list.map((r) => r.endpoints));
    expect(hasIndexMarker(layout.current)).toBe(true);
    expect(sorted(readBack(layout))).toEqual(sorted(list));
  });

  it('adding or removing one share changes one bucket and the index, and `current` only when it lists that bucket', () => {
    const before = layoutList(bigList(10_000), CAP, DIRECT);
    for (const changed of [bigList(10_001), bigList(9_999)]) {
      const after = layoutList(changed, CAP, DIRECT);
      const differ = after.buckets.filter((b, k) => before.buckets[k]!.id !== b.id);
      expect(differ).toHaveLength(1);
      expect(after.indexId).not.toBe(before.indexId);
      const k = differ[0]!.index;
      const inCurrent = decodeUserShares(before.current);
      const listed =
        inCurrent.ok && inCurrent.resources.some((r) => r.shares.some((s) => bucketOf(s.hash, 64) === k));
      expect(after.current.toString() === before.current.toString()).toBe(!listed);
      expect(sorted(readBack(after))).toEqual(sorted(changed));
    }
  });

  it('a layout made from the previous one reuses its unchanged buckets and encodes the same as afresh', () => {
    const before = layoutList(bigList(10_000), CAP, DIRECT);
    const changed = bigList(10_001);
    const after = layoutList(changed, CAP, DIRECT, before);
    const fresh = layoutList(changed, CAP, DIRECT);
    expect(after.buckets.filter((b, k) => b !== before.buckets[k])).toHaveLength(1);
    expect(after.buckets.map((b) => b.id)).toEqual(fresh.buckets.map((b) => b.id));
    expect(after.indexId).toBe(fresh.indexId);
    expect(after.current.toString()).toBe(fresh.current.toString());
    expect(after.fullBytes).toBe(fresh.fullBytes);
  });

  it('refuses buckets and indexes that are foreign, tampered, a deflate bomb or a DTD', () => {
    const layout = layoutList(bigList(3000), CAP, DIRECT);
    const index = readIndex(layout.index!);
    if (typeof index === 'string') throw new Error(index);
    const budget = () => ({ left: 8 * 1024 * 1024 });
    const b0 = layout.buckets[0]!;
    const expected = { index: 0, count: index.count, id: index.ids[0]! };
    expect(readBucket(null, expected, budget())).toMatch(/missing/);
    expect(readBucket(layout.buckets[1]!.payload, expected, budget())).toMatch(/another layout/);
    const tampered = xml('bucket', { ...b0.payload.attrs }, `AAAA${b0.payload.getText().slice(4)}`);
    expect(readBucket(tampered, expected, budget())).toMatch(/inflate|does not match/);
    expect(readBucket(xml('bucket', { ...b0.payload.attrs }, '<x>'), expected, budget())).toMatch(/base64/);

    const bucketOfText = (data: Buffer) => {
      const id = createHash('sha256').update(data).digest('hex').slice(0, 16);
      const payload = xml(
        'bucket',
        { xmlns: NS_FULL, index: '0', of: '1' },
        deflateRawSync(data).toString('base64'),
      );
      return { payload, expected: { index: 0, count: 1, id } };
    };
    const bomb = bucketOfText(Buffer.alloc(64 * 1024 * 1024, 0x20));
    expect(readBucket(bomb.payload, bomb.expected, budget())).toMatch(/cannot inflate/);
    // The budget is shared by the buckets of one list: many small bombs stop too.
    const small = bucketOfText(Buffer.alloc(3 * 1024 * 1024, 0x20));
    const wrongId = { ...small.expected, id: '0'.repeat(16) };
    const shared = budget();
    expect(readBucket(small.payload, wrongId, shared)).toMatch(/does not match/);
    expect(readBucket(small.payload, wrongId, shared)).toMatch(/does not match/);
    expect(readBucket(small.payload, wrongId, shared)).toMatch(/cannot inflate/);
    const dtd = bucketOfText(
      Buffer.from(
        '<!DOCTYPE user_shares [<!ENTITY a "aaaaaaaaaa">]><user_shares xmlns="https://xmpp.kwoh.de/protocol/shares"><resource resource="&a;"/></user_shares>',
      ),
    );
    expect(readBucket(dtd.payload, dtd.expected, budget())).toMatch(/DOCTYPE/);

    const bad = (attrs: Record<string, string>) =>
      readIndex(
        xml(
          'index',
          { xmlns: NS_FULL, ...attrs },
          xml('user_shares', { xmlns: 'https://xmpp.kwoh.de/protocol/shares' }),
        ),
      );
    expect(bad({ buckets: '3', ids: 'a b c' })).toMatch(/power of two/);
    expect(bad({ buckets: '512', ids: '' })).toMatch(/power of two/);
    expect(bad({ buckets: '2', ids: '0123456789abcdef' })).toMatch(/2 bucket ids/);
    expect(bad({ buckets: '1', ids: '0123456789ABCDEF' })).toMatch(/bucket ids/);
    expect(readIndex(xml('index', { xmlns: NS_FULL, buckets: '1', ids: '0123456789abcdef' }))).toMatch(
      /no entries/,
    );
    expect(readIndex(xml('other'))).toMatch(/expected <index/);
  });

  it('merging drops shares of entries the index does not name, and caps shares per entry', () => {
    const entries = [{ resource: 'a', shares: [], endpoints: [] }];
    const merged = mergeBuckets(
      entries,
      [
        [{ resource: 'a', shares: [share(1), share(2)], endpoints: [] }],
        [
          { resource: 'ghost', shares: [share(3)], endpoints: [] },
          { resource: 'a', shares: [share(2), share(4)], endpoints: [] },
        ],
      ],
      2,
    );
    expect(merged.resources).toEqual([{ resource: 'a', shares: [share(1), share(2)], endpoints: [] }]);
    expect(merged.problems).toEqual([
      'bucket 1: entry "ghost" is not in the index',
      'entry "a": more than 2 shares, the rest ignored',
    ]);
  });
});
