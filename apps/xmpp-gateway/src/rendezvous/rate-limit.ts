/**
 * Token buckets per key (a contact's bare JID): `burst` requests at once, then one every
 * `refillMs`. Keys whose bucket is full again are forgotten, so the map stays small.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly refillMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take one token for `key`: false when its bucket is empty (refuse the request). */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.refillMs);
    if (tokens < 1) {
      if (!this.#buckets.has(key)) this.#buckets.set(key, bucket);
      return false; // (the bucket is left as it was: refusals take nothing)
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > 1024) this.#sweep(now);
    return true;
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets)
      if (b.tokens + (now - b.at) / this.refillMs >= this.burst) this.#buckets.delete(key);
  }
}
