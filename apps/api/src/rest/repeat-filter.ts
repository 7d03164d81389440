import type { StoredEvent } from '../core/event-log.js';

/** How many distinct `xmpp.peers` chunks (by their set of hashes) a stream remembers. */
const MAX_KEYS = 256;

/**
 * Drops `xmpp.peers` events that repeat what this reader was already told. The gateway
 * publishes the whole peers list (in chunks) on every engine heartbeat so that a restarted
 * engine gets it again; an SSE reader needs it only when it changes (issue 22: 266 of 272
 * events in 15 minutes were identical). A chunk is a repeat when the last chunk with the same
 * hashes carried the same payload. One filter per stream (each reader sees every change once).
 */
export class RepeatFilter {
  readonly #last = new Map<string, string>();

  isRepeat(e: Pick<StoredEvent, 'type' | 'data'>): boolean {
    if (e.type !== 'xmpp.peers') return false;
    const peers = (e.data as { peers?: unknown } | null)?.peers;
    if (!Array.isArray(peers)) return false;
    const key = peers
      .map((p) => String((p as { hash?: unknown } | null)?.hash))
      .sort()
      .join(',');
    const payload = JSON.stringify(e.data);
    if (this.#last.get(key) === payload) return true;
    this.#last.delete(key);
    this.#last.set(key, payload);
    if (this.#last.size > MAX_KEYS) this.#last.delete(this.#last.keys().next().value as string);
    return false;
  }
}
