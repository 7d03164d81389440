import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import xml, { Parser, type Element } from '@xmpp/xml';
import { NS_SHARES } from './namespaces.js';
import { encodeUserShares, type ResourceEntry } from './shares-codec.js';

/**
 * Large lists. Servers cap stanza sizes (Prosody 0.12: 256 KiB from a client, ejabberd's
 * shipped config: 64 KiB), and a list of 10,000 shares is about 1 MB in the original format.
 *
 * - The original node's item `current` always holds a valid original `<user_shares/>`: the whole
 *   list when it fits, otherwise as many shares as fit, plus one element of our own namespace,
 *   `<full xmlns="urn:bitween:shares:0" id="…" chunks="N" shares="…"/>`, that an original peer
 *   ignores (it reads only `resource` children of its namespace).
 * - The whole list, as the original XML, raw-deflated and base64, is cut into chunks published
 *   first, each as item `id` of its own PEP node `urn:bitween:shares:0/chunk/<i>` (one item per
 *   node works on every PEP service without publish-options). Our peers fetch them when the
 *   `current` item names them, check the SHA-256 `id`, and read the list with the same strict
 *   decoder as any other.
 */
export const NS_FULL = 'urn:bitween:shares:0';
export const chunkNode = (index: number) => `${NS_FULL}/chunk/${index}`;

/** Room left in a stanza for the IQ/pubsub/publish/item envelope around a payload. */
const ENVELOPE_BYTES = 1024;
/** A reader never inflates more than this (a deflate bomb stops here). */
export const MAX_FULL_LIST_BYTES = 8 * 1024 * 1024;
export const MAX_CHUNKS = 256;

export interface Packed {
  /** The payload of item `current` of the original node. */
  current: Element;
  /** Chunk payloads (`<chunk/>`), to publish before `current`; empty when the whole list fits. */
  chunks: Element[];
  id: string | null;
  /** Bytes of the whole list in the original format. */
  fullBytes: number;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** Pack `list` so that no published stanza exceeds `maxStanzaBytes`. */
export function packList(list: ResourceEntry[], maxStanzaBytes: number): Packed {
  const budget = maxStanzaBytes - ENVELOPE_BYTES;
  const full = encodeUserShares(list);
  const text = full.toString();
  const fullBytes = bytes(text);
  if (fullBytes <= budget) return { current: full, chunks: [], id: null, fullBytes };

  const id = createHash('sha256').update(text).digest('hex');
  const data = deflateRawSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');
  const chunkChars = budget - 200; // the <chunk/> element's own markup
  const count = Math.ceil(data.length / chunkChars);
  if (count > MAX_CHUNKS) throw new Error(`share list too large: ${count} chunks (max ${MAX_CHUNKS})`);
  const chunks = Array.from({ length: count }, (_, i) =>
    xml(
      'chunk',
      { xmlns: NS_FULL, id, index: String(i), count: String(count) },
      data.slice(i * chunkChars, (i + 1) * chunkChars),
    ),
  );
  const total = list.reduce((n, r) => n + r.shares.length, 0);
  const marker = xml('full', { xmlns: NS_FULL, id, chunks: String(count), shares: String(total) });
  return { current: truncated(list, budget - bytes(marker.toString()), marker), chunks, id, fullBytes };
}

/** An original `<user_shares/>` with as many shares as fit in `budget` bytes, then `marker`. */
function truncated(list: ResourceEntry[], budget: number, marker: Element): Element {
  const root = xml('user_shares', { xmlns: NS_SHARES });
  let size = bytes(root.toString());
  for (const r of list) {
    const entry = xml('resource', { resource: r.resource });
    const endpoints = r.endpoints.map((e) => xml('ip_address', { address: e.address, port: String(e.port) }));
    let entrySize = bytes(entry.toString()) + endpoints.reduce((n, e) => n + bytes(e.toString()), 0);
    if (size + entrySize > budget) break;
    for (const s of r.shares) {
      const item = xml('share_item', { hash: s.hash, name: s.name, size: String(s.size) });
      const itemSize = bytes(item.toString());
      if (size + entrySize + itemSize > budget) break;
      entry.append(item);
      entrySize += itemSize;
    }
    if (entry.children.length === 0) break; // the original omits entries without shares
    for (const e of endpoints) entry.append(e);
    root.append(entry);
    size += entrySize;
  }
  root.append(marker);
  return root;
}

export interface FullMarker {
  id: string;
  chunks: number;
}

/** The `<full/>` marker of a `<user_shares/>`, if any (invalid markers are ignored). */
export function fullMarker(userShares: Element): FullMarker | null {
  const el = userShares.getChild('full', NS_FULL);
  if (!el) return null;
  const id = el.attrs.id as unknown;
  const chunks = Number(el.attrs.chunks as unknown);
  if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) return null;
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_CHUNKS) return null;
  return { id, chunks };
}

/**
 * Put the whole list back together from its chunk payloads (index order). Returns the
 * `<user_shares/>` element (still to be decoded strictly) or a reason.
 */
export function unpackChunks(marker: FullMarker, payloads: (Element | null)[]): Element | string {
  if (payloads.length !== marker.chunks) return `expected ${marker.chunks} chunks, got ${payloads.length}`;
  const parts: string[] = [];
  for (const [i, p] of payloads.entries()) {
    if (!p || !p.is('chunk', NS_FULL)) return `chunk ${i} is missing`;
    if (p.attrs.id !== marker.id || p.attrs.index !== String(i)) return `chunk ${i} belongs to another list`;
    const text = p.getText();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return `chunk ${i} is not base64`;
    parts.push(text);
  }
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(parts.join(''), 'base64'), {
      maxOutputLength: MAX_FULL_LIST_BYTES,
    });
  } catch (err) {
    return `cannot inflate: ${(err as Error).message}`;
  }
  if (createHash('sha256').update(inflated).digest('hex') !== marker.id)
    return 'the list does not match its id';
  const text = inflated.toString('utf8');
  // XMPP allows no DTD; ltx would not expand entities anyway, but say so clearly.
  if (/<!/.test(text)) return 'the list contains a DOCTYPE, entity declaration, comment or CDATA';
  return parseDocument(text) ?? 'not a well-formed XML document';
}

/** One XML document (ltx: no DTD, no external entities), or null. */
export function parseDocument(text: string): Element | null {
  const parser = new Parser();
  let root: Element | null = null;
  let failed = false;
  let ended = false;
  parser.on('start', (el: Element) => (root = el));
  parser.on('element', (el: Element) => root?.append(el));
  parser.on('end', () => (ended = true));
  parser.on('error', () => (failed = true));
  try {
    parser.write(text);
  } catch {
    return null;
  }
  return failed || !ended ? null : root;
}
