import { engine } from '@bitween/messages';
import type { StoredEvent } from '../core/event-log.js';
import { publicTorrent } from './to-public.js';

/**
 * An event as REST clients get it: a `torrent.added` carries the public Torrent (to-public.ts), not
 * the bus TorrentStatus, so an internal member of the contract never reaches `/v1/events`. A
 * `torrent.added` whose data is not the contract's (nothing of bitween publishes one) gets `data: null`
 * rather than whatever was recorded.
 */
export function publicEvent(e: StoredEvent): StoredEvent {
  if (e.type !== engine.added.name) return e;
  const parsed = engine.added.payload.safeParse(e.data);
  return { ...e, data: parsed.success ? { torrent: publicTorrent(parsed.data.torrent) } : null };
}
