import { Sha256, type Endpoint, type Share } from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';
import xml, { type Element } from '@xmpp/xml';
import { lookup as mediaTypeLookup } from 'mime-types';
import { NS_PUBSUB } from './namespaces.js';
import { storedName } from './shares-codec.js';

/**
 * Standard share items (issue 20 item 3): each share is one item of the XEP-0498 (Pubsub File
 * Sharing, 0.1.1) well-known node, its payload an XEP-0447 (Stateless file sharing, 0.3.1)
 * `<file-sharing/>` (no `disposition`, XEP-0498 §4) with XEP-0446 `<file/>` metadata and one
 * XEP-0103 `<url-data/>` source holding a magnet URI (BEP 9: `xt`, `dn`, `xl`, `x.pe`), which any
 * BitTorrent client understands. Encoding only: bitween reads its friends' original node.
 *
 * Deviation from XEP-0498: the item id is the info-hash, not the file name (names are not unique
 * and may change; one share = one item, so adding or removing a share touches one item).
 * A multi-file torrent is one `<file/>` with the torrent's name and total size, and no `<hash/>`;
 * a single-file share carries its file's SHA-256 (XEP-0300 `<hash algo='sha-256'/>`, base64) when
 * its engine hashed it (shared from that host: computed with the pieces; downloads have none).
 */

/** XEP-0498's well-known (root) node. */
export const NS_PUBSUB_FILE_SHARING = 'urn:xmpp:pubsub-file-sharing:0';
export const NS_SFS = 'urn:xmpp:sfs:0';
export const NS_FILE_METADATA = 'urn:xmpp:file:metadata:0';
export const NS_URL_DATA = 'http://jabber.org/protocol/url-data';
export const NS_HASHES = 'urn:xmpp:hashes:2';
const NS_DATA = 'jabber:x:data';

/** At most this many `x.pe` addresses in one magnet (a share's item stays small). */
export const MAX_MAGNET_PEERS = 8;
/** Names longer than this are cut (a stanza, and a magnet URI, stay bounded). */
export const MAX_NAME_LENGTH = 1024;

/**
 * Preconditions sent with every publish (XEP-0060 §7.1.5): what friends see is what they see of
 * the original node (access model `presence`). (ejabberd 23.01 refuses `pubsub#max_items` here:
 * "Unknown field"; it is configured once per login instead: configureMaxItems, and
 * lists/file-sharing-publisher.ts MAX_ITEMS_TRIED.)
 */
export const NODE_OPTIONS: Readonly<Record<string, string>> = {
  'pubsub#access_model': 'presence',
};

/** The addresses a magnet may carry: public ones, and LAN ones (a friend on the same network). */
export function magnetPeers(endpoints: readonly Endpoint[]): string[] {
  const out = new Set<string>();
  for (const e of endpoints) {
    const ip = canonicalIp(e.address);
    if (!ip || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535) continue;
    const cls = classifyAddress(ip);
    if (cls !== 'public' && cls !== 'lan') continue;
    out.add(ip.includes(':') ? `[${ip}]:${e.port}` : `${ip}:${e.port}`);
    if (out.size >= MAX_MAGNET_PEERS) break;
  }
  return [...out];
}

/** A BEP 9 magnet URI: info-hash, display name, exact length, direct peers (`x.pe`). */
export function magnetUri(share: Share, peers: readonly string[]): string {
  const parts = [
    `xt=urn:btih:${share.hash.toLowerCase()}`,
    `dn=${encodeURIComponent(share.name)}`,
    `xl=${share.size}`,
    ...peers.map((p) => `x.pe=${p}`),
  ];
  return `magnet:?${parts.join('&')}`;
}

/** The media type a name's extension says, if any (multi-file torrents have none). */
export function mediaTypeOf(name: string): string | undefined {
  const type = mediaTypeLookup(name);
  return type === false ? undefined : type;
}

export interface FileShareItem {
  /** With `sha256` (base64) when the engine hashed the file: XEP-0446 `<hash algo='sha-256'/>`. */
  share: Share;
  endpoints: readonly Endpoint[];
}

/** The item's payload: `<file-sharing><file/><sources><url-data target=magnet/></sources></file-sharing>`. */
export function encodeFileSharing({ share, endpoints }: FileShareItem): Element {
  const name = cleanItemName(share.name);
  // (A folder's name rarely has an extension; when it has one, the type it names is shown.)
  const mediaType = mediaTypeOf(name);
  const file = xml(
    'file',
    { xmlns: NS_FILE_METADATA },
    ...(mediaType ? [xml('media-type', {}, mediaType)] : []),
    xml('name', {}, name),
    xml('size', {}, String(share.size)),
    ...(share.sha256 ? [xml('hash', { xmlns: NS_HASHES, algo: 'sha-256' }, share.sha256)] : []),
  );
  const target = magnetUri({ ...share, name }, magnetPeers(endpoints));
  return xml(
    'file-sharing',
    { xmlns: NS_SFS },
    file,
    xml('sources', {}, xml('url-data', { xmlns: NS_URL_DATA, target })),
  );
}

function cleanItemName(name: string): string {
  return [...storedName(name)].slice(0, MAX_NAME_LENGTH).join('');
}

/** `<publish-options/>` (XEP-0060 §7.1.5) carrying NODE_OPTIONS. */
function publishOptions(): Element {
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: NS_DATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${NS_PUBSUB}#publish-options`)),
      ...Object.entries(NODE_OPTIONS).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    ),
  );
}

/** The `<pubsub xmlns=…#owner/>` child of the IQ that sets the node's `pubsub#max_items`. */
export function configureMaxItems(maxItems: string): Element {
  return xml(
    'pubsub',
    { xmlns: `${NS_PUBSUB}#owner` },
    xml(
      'configure',
      { node: NS_PUBSUB_FILE_SHARING },
      xml(
        'x',
        { xmlns: NS_DATA, type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${NS_PUBSUB}#node_config`)),
        xml('field', { var: 'pubsub#max_items' }, xml('value', {}, maxItems)),
      ),
    ),
  );
}

/** The `<pubsub/>` child of the IQ that publishes one share's item (id = its info-hash). */
export function publishFileItem(item: FileShareItem): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml(
      'publish',
      { node: NS_PUBSUB_FILE_SHARING },
      xml('item', { id: item.share.hash.toLowerCase() }, encodeFileSharing(item)),
    ),
    publishOptions(),
  );
}

/** The `<pubsub/>` child of the IQ that retracts one share's item, notifying subscribers. */
export function retractFileItem(hash: string): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml('retract', { node: NS_PUBSUB_FILE_SHARING, notify: 'true' }, xml('item', { id: hash.toLowerCase() })),
  );
}

/** What a received `<file-sharing/>` names (decodeFileSharing): cleaned, bounded. */
export interface SharedFile {
  hash: string;
  name: string;
  size: number;
  mediaType?: string;
  /** The `<file/>`'s SHA-256 (base64), as the sender states it (bitween does not check it). */
  sha256?: string;
  /** Why the `<file/>`'s `<hash/>` elements gave no SHA-256, when it has some (worth a debug line). */
  hashIgnored?: string;
  /** The magnet's `x.pe` addresses we may dial (public or LAN; canonical form), at most MAX_MAGNET_PEERS. */
  endpoints: Endpoint[];
  /** `x.pe` values dropped: malformed, or an address never dialled (loopback, link-local, multicast…). */
  droppedPeers: number;
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const BTIH = /^urn:btih:([0-9a-fA-F]{40})$/;
/** At most this many characters of a magnet URI are read (ours: name ≤ 1,024 characters, percent-encoded, 8 peers). */
export const MAX_MAGNET_LENGTH = 8192;
/** At most this many `<url-data/>` sources are looked at. */
const MAX_SOURCES = 8;
/** At most this many XEP-0300 `<hash/>` elements in a `<file/>` (one per algorithm is plenty). */
const MAX_HASHES = 8;

/**
 * The SHA-256 of a `<file/>`'s XEP-0300 `<hash/>` elements: exactly one with `algo='sha-256'`,
 * holding 32 bytes of base64. Other algorithms are skipped (XEP-0446 allows several); several
 * SHA-256s, a wrong length or not base64: none, with the reason (the item itself is still read).
 */
export function fileSha256(file: Element): { sha256?: string; ignored?: string } {
  const hashes = file.getChildren('hash', NS_HASHES);
  if (hashes.length === 0) return {};
  if (hashes.length > MAX_HASHES) return { ignored: `${hashes.length} <hash/> elements` };
  const sha256s = hashes.filter((h) => h.attrs.algo === 'sha-256');
  if (sha256s.length === 0) return { ignored: 'no <hash algo="sha-256"/>' };
  if (sha256s.length > 1) return { ignored: `${sha256s.length} <hash algo="sha-256"/> elements` };
  const text = sha256s[0]!.getText().trim();
  const checked = Sha256.safeParse(text);
  if (!checked.success)
    return { ignored: `<hash algo="sha-256"/> is not 32 bytes of base64 (${text.length} characters)` };
  return { sha256: checked.data };
}

/**
 * A `<file-sharing xmlns='urn:xmpp:sfs:0'/>` as a contact sent it, read strictly: the XEP-0446
 * `<file/>` must carry a name and a decimal size, and one `<url-data/>` source must be a magnet
 * with a v1 info-hash (bitween downloads by BitTorrent only). The name is cleaned
 * (`@bitween/safe-text`) and cut at MAX_NAME_LENGTH; `x.pe` peers are kept only for addresses
 * bitween may dial (the rule `magnetPeers` publishes by). Returns the reason as a string when refused.
 */
export function decodeFileSharing(el: Element): SharedFile | string {
  if (!el.is('file-sharing', NS_SFS)) return 'not a <file-sharing xmlns="urn:xmpp:sfs:0"/>';
  const file = el.getChild('file', NS_FILE_METADATA);
  if (!file) return '<file-sharing/> without <file xmlns="urn:xmpp:file:metadata:0"/>';
  const rawName = file.getChildText('name');
  if (!rawName) return '<file/> without a <name/>';
  if (rawName.length > MAX_NAME_LENGTH * 4) return `<name/> longer than ${MAX_NAME_LENGTH * 4} characters`;
  const name = cleanItemName(rawName);
  const sizeText = file.getChildText('size')?.trim() ?? '';
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    return `<size/> ${JSON.stringify(sizeText.slice(0, 40))} is not a decimal number`;
  const mediaText = file.getChildText('media-type')?.trim();
  const mediaType = mediaText && MEDIA_TYPE.test(mediaText) ? mediaText.toLowerCase() : undefined;
  const { sha256, ignored } = fileSha256(file);

  const targets = (el.getChild('sources')?.getChildren('url-data', NS_URL_DATA) ?? [])
    .slice(0, MAX_SOURCES)
    .map((u): unknown => u.attrs.target)
    .filter((t): t is string => typeof t === 'string' && t.startsWith('magnet:?'));
  if (targets.length === 0) return 'no magnet among the <sources/>';
  let lastReason = '';
  for (const target of targets) {
    const magnet = parseMagnet(target);
    if (typeof magnet === 'string') {
      lastReason = magnet;
      continue;
    }
    return {
      hash: magnet.hash,
      name,
      size: Number(sizeText),
      ...(mediaType ? { mediaType } : {}),
      ...(sha256 ? { sha256 } : {}),
      ...(ignored ? { hashIgnored: ignored } : {}),
      endpoints: magnet.endpoints,
      droppedPeers: magnet.droppedPeers,
    };
  }
  return lastReason;
}

/** A magnet URI's v1 info-hash and the `x.pe` peers bitween may dial. */
export function parseMagnet(
  uri: string,
): { hash: string; endpoints: Endpoint[]; droppedPeers: number } | string {
  if (uri.length > MAX_MAGNET_LENGTH) return `magnet longer than ${MAX_MAGNET_LENGTH} characters`;
  const params = new URLSearchParams(uri.slice('magnet:?'.length));
  const hashes = params
    .getAll('xt')
    .map((xt) => BTIH.exec(xt)?.[1])
    .filter((h): h is string => h !== undefined);
  if (hashes.length === 0) return 'magnet without a v1 info-hash (xt=urn:btih:<40 hex>)';
  const endpoints: Endpoint[] = [];
  const seen = new Set<string>();
  let droppedPeers = 0;
  for (const pe of params.getAll('x.pe')) {
    const endpoint = parsePeer(pe);
    const cls = endpoint ? classifyAddress(endpoint.address) : null;
    if (!endpoint || (cls !== 'public' && cls !== 'lan') || endpoints.length >= MAX_MAGNET_PEERS) {
      droppedPeers += 1;
      continue;
    }
    const key = `${endpoint.address}|${endpoint.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    endpoints.push(endpoint);
  }
  return { hash: hashes[0]!.toLowerCase(), endpoints, droppedPeers };
}

/** `1.2.3.4:6881` or `[2001:db8::1]:6881` → an endpoint (address in canonical form), else null. */
function parsePeer(value: string): Endpoint | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(value);
  if (!m) return null;
  const address = canonicalIp(m[1] ?? m[2] ?? '');
  const port = Number(m[3]);
  if (!address || port < 1 || port > 65535) return null;
  return { address, port };
}
