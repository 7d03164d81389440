import { engine, xmpp } from '@bitween/messages';
import type { StoredEvent } from '../core/event-log.js';
import { publicTorrent } from './to-public.js';

/**
 * An event as REST clients get it: a `torrent.added` carries the public Torrent (to-public.ts), not
 * the bus TorrentStatus, so an internal member of the contract never reaches `/v1/events`. A
 * `torrent.added` whose data is not the contract's (nothing of bitween publishes one) gets `data: null`
 * rather than whatever was recorded. An `offer.received` carries the offer as `GET /v1/offers` lists it.
 */
export function publicEvent(e: StoredEvent): StoredEvent {
  if (e.type === xmpp.offerReceived.name) {
    // An offer as `GET /v1/offers` shows it: the magnet's addresses stay inside.
    const parsed = xmpp.offerReceived.payload.safeParse(e.data);
    if (!parsed.success) return { ...e, data: null };
    const { endpoints: _endpoints, ...offer } = parsed.data;
    return { ...e, data: offer };
  }
  if (e.type !== engine.added.name) return e;
  const parsed = engine.added.payload.safeParse(e.data);
  return { ...e, data: parsed.success ? { torrent: publicTorrent(parsed.data.torrent) } : null };
}
