import type { Endpoint, Share } from '@bitween/messages';
import { canonicalIp } from '@bitween/net-policy';
import { NO_NAME, cleanName, hasHiddenCharacters, revealHidden } from '@bitween/safe-text';
import xml, { type Element } from '@xmpp/xml';
import { NS_SHARES } from './namespaces.js';

/**
 * The `<user_shares/>` payload of the original Bitween, both ways. Everything is an attribute;
 * only the root carries `xmlns`. A friend's list is untrusted input: it is read element by
 * element, every value checked, bad entries dropped (and reported), and sizes capped.
 * Share names are stored cleaned (@bitween/safe-text: no bidi controls, no invisible
 * characters; "(no name)" when nothing is left); a resource name is an identifier (matched
 * with the contact's presence), so one with hidden characters is refused, not changed.
 * An original whose resource name is empty publishes `<resource/>` without the attribute
 * (SleekXMPP drops empty attributes); like the original, that entry is stored under "".
 * Addresses are stored in canonical form (`0:0:0:0:0:0:0:1` is `::1`, `::ffff:10.0.0.1` is
 * `10.0.0.1`), so one endpoint written two ways is one endpoint.
 */

export interface ResourceEntry {
  resource: string;
  shares: Share[];
  endpoints: Endpoint[];
}

export function encodeUserShares(resources: ResourceEntry[]): Element {
  return xml(
    'user_shares',
    { xmlns: NS_SHARES },
    ...resources.map((r) =>
      xml(
        'resource',
        { resource: r.resource },
        ...r.shares.map((s) => xml('share_item', { hash: s.hash, name: s.name, size: String(s.size) })),
        ...r.endpoints.map((e) => xml('ip_address', { address: e.address, port: String(e.port) })),
      ),
    ),
  );
}

export interface Limits {
  /** Total bytes of attribute values read from one list; the rest is ignored. */
  maxPayloadBytes: number;
  maxResources: number;
  maxSharesPerResource: number;
  maxEndpointsPerResource: number;
  maxNameLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 4 * 1024 * 1024,
  maxResources: 32,
  maxSharesPerResource: 50_000,
  maxEndpointsPerResource: 32,
  maxNameLength: 1024,
};

export type DecodeResult =
  { ok: true; resources: ResourceEntry[]; problems: string[] } | { ok: false; problems: string[] };

const HASH = /^[0-9a-fA-F]{40}$/;
const DECIMAL = /^[0-9]{1,20}$/;
// C0/C1 control characters and the Unicode line/paragraph separators have no place in a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_RESOURCE_LENGTH = 1023; // RFC 7622 resourcepart limit (in bytes; chars is close enough)

function attr(el: Element, name: string): string | undefined {
  const v: unknown = el.attrs[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A share name as it is stored and published: cleaned (@bitween/safe-text), "(no name)" when
 * nothing is left. Applied to what we read and to what we publish, so that our own item read
 * back from the server is what we published.
 */
export function storedName(name: string): string {
  const clean = cleanName(name);
  return clean === '' ? NO_NAME : clean;
}

function decodeShare(el: Element, limits: Limits): Share | string {
  const hash = attr(el, 'hash');
  const name = attr(el, 'name');
  const size = attr(el, 'size');
  if (!hash || !HASH.test(hash))
    return `share_item: hash ${JSON.stringify(hash ?? null)} is not 40 hex characters`;
  if (!name) return `share_item ${hash}: no name`;
  if (name.length > limits.maxNameLength)
    return `share_item ${hash}: name longer than ${limits.maxNameLength}`;
  if (CONTROL.test(name)) return `share_item ${hash}: name contains control characters`;
  const clean = storedName(name);
  // (NFC can lengthen a name: checked again.)
  if (clean.length > limits.maxNameLength)
    return `share_item ${hash}: name longer than ${limits.maxNameLength}`;
  if (size === undefined || !DECIMAL.test(size))
    return `share_item ${hash}: size ${JSON.stringify(size ?? null)} is not a decimal number`;
  const n = Number(size);
  if (!Number.isSafeInteger(n)) return `share_item ${hash}: size out of range`;
  return { hash: hash.toLowerCase(), name: clean, size: n };
}

function decodeEndpoint(el: Element): Endpoint | string {
  const raw = attr(el, 'address');
  const address = raw ? canonicalIp(raw) : null;
  if (!raw || !address) return `ip_address: ${JSON.stringify(raw ?? null)} is not an IP address`;
  const port = attr(el, 'port');
  if (!port || !/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `ip_address ${address}: port ${JSON.stringify(port ?? null)} is not 1-65535`;
  }
  return { address, port: Number(port) };
}

/**
 * Read a `<user_shares/>` element. Not a user_shares in our namespace → `ok: false` (the
 * notification is ignored as a whole). Otherwise every valid resource, share and endpoint is
 * kept and every invalid one is described in `problems`.
 */
export function decodeUserShares(root: Element, limits: Limits = DEFAULT_LIMITS): DecodeResult {
  if (root.name !== 'user_shares' || root.attrs.xmlns !== NS_SHARES) {
    return { ok: false, problems: [`expected <user_shares xmlns="${NS_SHARES}"/>, got <${root.name}>`] };
  }
  const problems: string[] = [];
  const resources = new Map<string, ResourceEntry>();
  let payloadBytes = 0;
  const sizeOf = (el: Element) => {
    for (const v of Object.values(el.attrs)) if (typeof v === 'string') payloadBytes += v.length;
    return payloadBytes <= limits.maxPayloadBytes;
  };
  // Elements of another namespace are extensions (ours: the marker of a list in buckets): not problems.
  const foreign = (el: Element) => el.attrs.xmlns !== undefined && el.attrs.xmlns !== NS_SHARES;
  outer: for (const child of root.getChildElements()) {
    if (foreign(child)) continue;
    if (!sizeOf(child)) {
      problems.push(`payload larger than ${limits.maxPayloadBytes} bytes: the rest ignored`);
      break;
    }
    if (child.name !== 'resource') {
      problems.push(`ignored <${child.name}> in user_shares`);
      continue;
    }
    // No attribute: the original's empty resource name (see above).
    const name = attr(child, 'resource') ?? '';
    if (name.length > MAX_RESOURCE_LENGTH || CONTROL.test(name) || hasHiddenCharacters(name)) {
      const shown = revealHidden(name.slice(0, 100));
      problems.push(`resource ${JSON.stringify(shown)}: not a valid resource name`);
      continue;
    }
    const label = name === '' ? '""' : name;
    if (resources.has(name)) {
      problems.push(`resource ${label}: listed twice, first kept`);
      continue;
    }
    if (resources.size >= limits.maxResources) {
      problems.push(`more than ${limits.maxResources} resources: the rest ignored`);
      break;
    }
    const shares = new Map<string, Share>();
    const endpoints = new Map<string, Endpoint>();
    for (const item of child.getChildElements()) {
      if (foreign(item)) continue;
      if (!sizeOf(item)) {
        problems.push(`payload larger than ${limits.maxPayloadBytes} bytes: the rest ignored`);
        resources.set(name, {
          resource: name,
          shares: [...shares.values()],
          endpoints: [...endpoints.values()],
        });
        break outer;
      }
      if (item.name === 'share_item') {
        if (shares.size >= limits.maxSharesPerResource) {
          problems.push(
            `resource ${label}: more than ${limits.maxSharesPerResource} shares, the rest ignored`,
          );
          break;
        }
        const share = decodeShare(item, limits);
        if (typeof share === 'string') problems.push(`resource ${label}: ${share}`);
        else if (!shares.has(share.hash)) shares.set(share.hash, share);
      } else if (item.name === 'ip_address') {
        const endpoint = decodeEndpoint(item);
        if (typeof endpoint === 'string') problems.push(`resource ${label}: ${endpoint}`);
        else if (endpoints.size < limits.maxEndpointsPerResource) {
          // Endpoints are (address × port) pairs; duplicates occur in the original's lists.
          endpoints.set(`${endpoint.address}|${endpoint.port}`, endpoint);
        } else
          problems.push(
            `resource ${label}: more than ${limits.maxEndpointsPerResource} endpoints, ${endpoint.address} ignored`,
          );
      } else {
        problems.push(`resource ${label}: ignored <${item.name}>`);
      }
    }
    resources.set(name, { resource: name, shares: [...shares.values()], endpoints: [...endpoints.values()] });
  }
  return { ok: true, resources: [...resources.values()], problems };
}
