/**
 * A friend's share's file list, asked of an engine (`engine.share-files`): where the friend
 * offers the share (the endpoints of its online instances that list it, as the gateway hands
 * them to engines for a download: each named by the friend, a LAN address with the public
 * addresses of the same entry, the dial guard's evidence), then the engine fetches only the
 * metadata from there.
 */
import type { ContactShares, PeerEndpoint } from '@bitween/messages';
import { classifyAddress } from '@bitween/net-policy';
import { CoreError } from './errors.js';

/** At most this many endpoints go with one request (the contract's limit). */
const MAX_ENDPOINTS = 32;
const MAX_PUBLIC = 32;

/**
 * The endpoints `contact` offers `hash` at (online instances only; none when it is offline). A
 * contact whose list does not name `hash` is `not_found`.
 */
export function offersOf(contact: ContactShares, hash: string): PeerEndpoint[] {
  const listing = contact.resources.filter((r) => r.shares.some((s) => s.hash === hash));
  if (listing.length === 0) throw new CoreError('not_found', `${contact.jid} does not share ${hash}`);
  const out = new Map<string, PeerEndpoint>();
  for (const r of listing) {
    if (!r.online) continue;
    const publicAddresses = [
      ...new Set(r.endpoints.map((e) => e.address).filter((a) => classifyAddress(a) === 'public')),
    ].slice(0, MAX_PUBLIC);
    for (const e of r.endpoints) {
      const lan = classifyAddress(e.address) === 'lan' && publicAddresses.length > 0;
      out.set(`${e.address}|${e.port}`, {
        address: e.address,
        port: e.port,
        jid: contact.jid,
        ...(lan ? { publicAddresses } : {}),
      });
    }
  }
  return [...out.values()].slice(0, MAX_ENDPOINTS);
}
