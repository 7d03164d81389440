import type { PendingSubscription } from '@bitween/messages';

/**
 * Subscription requests waiting for the user (the original accepted every one, exposing the
 * share list and addresses to anyone). Held in memory: the server delivers pending requests
 * again at every login (RFC 6121 §3.4), so nothing is lost across restarts.
 */
export class PendingSubscriptions {
  readonly #pending = new Map<string, number>();

  /** Returns false if `jid` was already pending (no new event). */
  add(jid: string, receivedAt: number): boolean {
    if (this.#pending.has(jid)) return false;
    this.#pending.set(jid, receivedAt);
    return true;
  }

  has(jid: string): boolean {
    return this.#pending.has(jid);
  }

  delete(jid: string): boolean {
    return this.#pending.delete(jid);
  }

  list(): PendingSubscription[] {
    return [...this.#pending]
      .map(([jid, receivedAt]) => ({ jid, receivedAt }))
      .sort((a, b) => a.receivedAt - b.receivedAt || a.jid.localeCompare(b.jid));
  }
}
