/**
 * A token bucket for what we send to the XMPP server. Servers read a client's stream at a fixed
 * rate (Debian's stock configs: Prosody 10 kB/s, ejabberd 3000 B/s, each with about 20 kB of
 * burst); what we send faster only waits in their socket buffer, in front of our presence and
 * subscription replies, and makes our requests time out. Bulk senders (the share list
 * publisher, bucket fetches) ask `take(bytes)` before each stanza and so stay below the
 * server's rate, leaving its burst for everything else.
 */
export class Pacer {
  #tokens: number;
  #last: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burstBytes;
    this.#last = now();
  }

  /**
   * Resolves when `bytes` may be sent (callers are served in order). With `reserve`, waits until
   * that much burst would be left after the stanza (bulk sending that must leave room for a
   * change sent after it); a stanza larger than the burst still goes once the bucket is full.
   */
  take(bytes: number, reserve = 0): Promise<void> {
    const turn = this.#queue.then(() => this.#take(bytes, reserve));
    this.#queue = turn;
    return turn;
  }

  /** How long (ms) a stanza of `bytes` asked now would wait (for logs and tests). */
  delayFor(bytes: number): number {
    this.#refill();
    const need = Math.min(bytes, this.burstBytes) - this.#tokens;
    return need <= 0 ? 0 : (need / this.bytesPerSecond) * 1000;
  }

  async #take(bytes: number, reserve: number): Promise<void> {
    const wait = this.delayFor(bytes + reserve);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
    this.#refill();
    // A stanza larger than the burst goes once the bucket is full, and leaves it in debt.
    this.#tokens -= bytes;
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(
      this.burstBytes,
      this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSecond,
    );
    this.#last = now;
  }
}
