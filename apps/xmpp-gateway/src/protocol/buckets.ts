import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import xml, { type Element } from '@xmpp/xml';
import { INDEX_NODE, NS_FULL, NS_SHARES } from './namespaces.js';
import { encodeUserShares, type ResourceEntry } from './shares-codec.js';
import { parseDocument } from './xml-document.js';

/**
 * Large lists, in content-addressed buckets, so that a change republishes only what changed.
 *
 * Servers cap stanza sizes (ejabberd: 64 KiB in its shipped config, 256 KiB in Debian's) and
 * rate-limit what a client sends (Debian's stock configs: Prosody 10 kB/s, ejabberd 3000 B/s,
 * both with about 20 kB of burst). A 10,000-share list is about 1 MB in the original format.
 *
 * - A list of at most `directBytes` goes out whole in item `current` of the original node, as
 *   the original publishes it.
 * - A larger list is partitioned by info-hash: `bucketCount(shares)` buckets (a power of two),
 *   a share in bucket `bucketOf(hash)`. Each bucket is the original XML of its shares (no
 *   endpoints), raw-deflated and base64 in `<bucket xmlns="urn:bitween:shares:0"/>`, published
 *   as the single item of PEP node `urn:bitween:shares:0/bucket/<k>`, with the first 16 hex
 *   digits of the SHA-256 of its XML as id. Adding or removing a share changes one bucket.
 * - The index, item of node `urn:bitween:shares:0/index`, names every bucket's id and carries
 *   the entries (resource names and endpoints, no shares). Friends subscribe to it (+notify) and
 *   fetch only the buckets whose id they do not hold yet.
 * - `current` stays a valid original `<user_shares/>` for an original peer: every entry with its
 *   endpoints and the shares of the first buckets that fit the stanza, plus
 *   `<full xmlns="urn:bitween:shares:0" v="2"/>`, which the original ignores and tells our
 *   readers to read the index. It changes only when those first buckets or the endpoints do.
 */
export { INDEX_NODE, NS_FULL };
export const bucketNode = (k: number) => `${NS_FULL}/bucket/${k}`;
export const MAX_BUCKETS = 256;
/** Shares per bucket aimed at: a bucket of about 6 kB deflated; 10,000 shares in 64 buckets (a friend reads them in 64 small requests, about one burst of the server's rate limit). */
export const SHARES_PER_BUCKET = 160;
/** Room left in a stanza for the IQ/pubsub/publish/item envelope around a payload. */
export const ENVELOPE_BYTES = 1024;
/** A reader never inflates more than this in all buckets of one list together (a deflate bomb stops here). */
export const MAX_FULL_LIST_BYTES = 8 * 1024 * 1024;

const ID = /^[0-9a-f]{16}$/;
/** `<share_item hash="…40…" name="x" size="0"/>`: no share takes fewer bytes. */
const MIN_SHARE_BYTES = 60;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const contentId = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

export function bucketCount(shares: number): number {
  let n = 1;
  while (n < MAX_BUCKETS && n * SHARES_PER_BUCKET < shares) n *= 2;
  return n;
}

/** The bucket of an info-hash (40 hex digits) among `count` (a power of two ≤ 256). */
export function bucketOf(hash: string, count: number): number {
  return Math.floor((parseInt(hash.slice(0, 4), 16) * count) / 0x10000);
}

export interface Bucket {
  index: number;
  id: string;
  /** `<bucket/>`, the payload of the bucket node's item. */
  payload: Element;
  /** What it holds (entries with shares only). */
  entries: ResourceEntry[];
  /** Its original XML (what `id` is the hash of). */
  text: string;
  /** `entries` as JSON: a bucket whose shares are unchanged is reused without encoding it again. */
  key: string;
}

export interface Layout {
  /** The payload of item `current` of the original node. */
  current: Element;
  /** The index payload; null when the whole list is in `current`. */
  index: Element | null;
  indexId: string | null;
  buckets: Bucket[];
  /** Bytes of the whole list in the original format. */
  fullBytes: number;
}

/**
 * Lay `list` out: whole in `current` when it has at most `directBytes`, otherwise in buckets
 * with an index, and a `current` of at most `maxStanzaBytes` (with its envelope).
 */
export function layoutList(
  list: ResourceEntry[],
  maxStanzaBytes: number,
  directBytes: number,
  /** The previous layout: buckets whose content did not change are reused, not deflated again. */
  previous?: Layout,
): Layout {
  const total = list.reduce((n, r) => n + r.shares.length, 0);
  const direct = Math.min(directBytes, maxStanzaBytes - ENVELOPE_BYTES);
  // A share_item takes at least MIN_SHARE_BYTES: a longer list cannot fit, skip encoding it whole.
  if (total * MIN_SHARE_BYTES <= direct) {
    const full = encodeUserShares(list);
    const fullBytes = bytes(full.toString());
    if (fullBytes <= direct) return { current: full, index: null, indexId: null, buckets: [], fullBytes };
  }
  // Encoding every bucket's XML again took ~0.2-0.4 s of the event loop per change at 10,000 shares.
  const reusable = new Map((previous?.buckets ?? []).map((b) => [`${b.index}/${b.key}`, b]));
  const count = bucketCount(total);
  const parts: ResourceEntry[][] = Array.from({ length: count }, () =>
    list.map((r) => ({ resource: r.resource, shares: [], endpoints: [] })),
  );
  for (const [i, r] of list.entries())
    for (const s of r.shares) parts[bucketOf(s.hash, count)]![i]!.shares.push(s);
  const texts: string[] = [];
  const buckets = parts.map((part, k): Bucket => {
    const entries = part.filter((e) => e.shares.length > 0);
    const key = JSON.stringify(entries);
    const known = reusable.get(`${k}/${key}`);
    if (known && known.payload.attrs.of === String(count)) {
      texts.push(known.text);
      return known;
    }
    const text = encodeUserShares(entries).toString();
    texts.push(text);
    const id = contentId(text);
    const data = deflateRawSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');
    return {
      index: k,
      id,
      payload: xml('bucket', { xmlns: NS_FULL, index: String(k), of: String(count) }, data),
      entries,
      text,
      key,
    };
  });
  const entries = list.map((r) => ({ resource: r.resource, shares: [], endpoints: r.endpoints }));
  const index = xml(
    'index',
    {
      xmlns: NS_FULL,
      buckets: String(count),
      shares: String(total),
      ids: buckets.map((b) => b.id).join(' '),
    },
    encodeUserShares(entries),
  );
  const indexId = contentId(index.toString());
  const fullBytes = texts.reduce((n, t) => n + bytes(t), 0);
  return {
    current: leading(list, parts, texts, maxStanzaBytes - ENVELOPE_BYTES),
    index,
    indexId,
    buckets,
    fullBytes,
  };
}

/**
 * The `current` of a list in buckets: every entry with its endpoints, the shares of buckets
 * 0, 1, … as long as they fit `budget` whole (so a change in a later bucket leaves it as it
 * is), then the marker.
 */
function leading(list: ResourceEntry[], parts: ResourceEntry[][], texts: string[], budget: number): Element {
  const marker = xml('full', { xmlns: NS_FULL, v: '2' });
  const shell = encodeUserShares(list.map((r) => ({ ...r, shares: [] })));
  let size = bytes(shell.toString()) + bytes(marker.toString());
  const taken: ResourceEntry[] = list.map((r) => ({ ...r, shares: [] }));
  for (const [k, part] of parts.entries()) {
    // (Its bucket's XML: its shares and their entries' tags, a little more than it adds.)
    const partBytes = bytes(texts[k]!);
    if (size + partBytes > budget) break;
    size += partBytes;
    for (const [i, e] of part.entries()) taken[i]!.shares.push(...e.shares);
  }
  const root = encodeUserShares(taken.filter((r) => r.shares.length > 0 || r.endpoints.length > 0));
  root.append(marker);
  return root;
}

/** Whether a `<user_shares/>` says the whole list is in buckets (read the index). */
export function hasIndexMarker(userShares: Element): boolean {
  const el = userShares.getChild('full', NS_FULL);
  return el !== undefined && el.attrs.v === '2';
}

export interface IndexInfo {
  count: number;
  ids: string[];
  /** The entries' `<user_shares/>` (names and endpoints), to decode strictly. */
  entries: Element;
}

/** Read an `<index/>` payload, or a reason. */
export function readIndex(el: Element): IndexInfo | string {
  if (!el.is('index', NS_FULL)) return `expected <index xmlns="${NS_FULL}"/>, got <${el.name}>`;
  const count = Number(el.attrs.buckets as unknown);
  if (!Number.isInteger(count) || count < 1 || count > MAX_BUCKETS || (count & (count - 1)) !== 0)
    return `index: ${JSON.stringify(el.attrs.buckets ?? null)} buckets is not a power of two up to ${MAX_BUCKETS}`;
  const rawIds = el.attrs.ids as unknown;
  const ids = typeof rawIds === 'string' ? rawIds.split(' ') : [];
  if (ids.length !== count || !ids.every((id) => ID.test(id)))
    return `index: expected ${count} bucket ids of 16 hex digits`;
  const entries = el.getChild('user_shares', NS_SHARES);
  if (!entries) return 'index: no entries';
  return { count, ids, entries };
}

/**
 * The `<user_shares/>` in a bucket payload (still to be decoded strictly), checked against the
 * index (`count`, `id`), or a reason. `budget.left` bytes may still be inflated (shared by the
 * buckets of one list); what this bucket inflates is taken off it.
 */
export function readBucket(
  payload: Element | null,
  expected: { index: number; count: number; id: string },
  budget: { left: number },
): Element | string {
  const k = expected.index;
  if (!payload?.is('bucket', NS_FULL)) return `bucket ${k} is missing`;
  if (payload.attrs.index !== String(k) || payload.attrs.of !== String(expected.count))
    return `bucket ${k} belongs to another layout`;
  const text = payload.getText();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return `bucket ${k} is not base64`;
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(text, 'base64'), { maxOutputLength: Math.max(1, budget.left) });
  } catch (err) {
    return `bucket ${k}: cannot inflate (${(err as Error).message})`;
  }
  budget.left -= inflated.length;
  const xmlText = inflated.toString('utf8');
  if (contentId(xmlText) !== expected.id) return `bucket ${k} does not match its id`;
  // XMPP allows no DTD; ltx would not expand entities anyway, but say so clearly.
  if (/<!/.test(xmlText)) return `bucket ${k} contains a DOCTYPE, entity declaration, comment or CDATA`;
  return parseDocument(xmlText) ?? `bucket ${k} is not a well-formed XML document`;
}

/**
 * The whole list from the index's entries and the buckets' entries: each entry's shares
 * gathered from every bucket, in bucket order. Shares of an entry the index does not name, and
 * shares beyond `maxShares` per entry, are dropped and described.
 */
export function mergeBuckets(
  entries: ResourceEntry[],
  buckets: ResourceEntry[][],
  maxShares: number,
): { resources: ResourceEntry[]; problems: string[] } {
  const problems: string[] = [];
  const byName = new Map(entries.map((e) => [e.resource, { ...e, shares: [...e.shares] }]));
  const seen = new Map<string, Set<string>>();
  for (const [k, bucket] of buckets.entries()) {
    for (const part of bucket) {
      const entry = byName.get(part.resource);
      if (!entry) {
        problems.push(`bucket ${k}: entry ${JSON.stringify(part.resource)} is not in the index`);
        continue;
      }
      let hashes = seen.get(part.resource);
      if (!hashes) seen.set(part.resource, (hashes = new Set(entry.shares.map((s) => s.hash))));
      for (const s of part.shares) {
        if (hashes.has(s.hash)) continue;
        if (entry.shares.length >= maxShares) {
          problems.push(
            `entry ${JSON.stringify(part.resource)}: more than ${maxShares} shares, the rest ignored`,
          );
          break;
        }
        hashes.add(s.hash);
        entry.shares.push(s);
      }
    }
  }
  return { resources: [...byName.values()], problems };
}
