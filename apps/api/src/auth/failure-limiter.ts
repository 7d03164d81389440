/**
 * Counts failed authentications per client address in fixed windows. Once an address has
 * failed `max` times in a window, every request from it is refused (429) until the window
 * ends, even one with the right key: otherwise a guesser would still learn when it hit.
 *
 * Hand-written rather than @fastify/rate-limit: that one counts every request of a route and
 * cannot look before it counts, which is what "refuse while blocked, count only failures" needs.
 */
export interface FailureLimiterOptions {
  /** Failures allowed per window. */
  max: number;
  windowMs: number;
  /** Addresses tracked at most (oldest dropped first), so a flood of addresses cannot grow memory. */
  maxTracked?: number;
  now?: () => number;
}

interface Window {
  failures: number;
  resetAt: number;
}

export class FailureLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;

  constructor(opts: FailureLimiterOptions) {
    this.#max = opts.max;
    this.#windowMs = opts.windowMs;
    this.#maxTracked = opts.maxTracked ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Seconds until `address` may try again, or null when it is not blocked. */
  blockedFor(address: string): number | null {
    const w = this.#current(address);
    if (!w || w.failures < this.#max) return null;
    return Math.max(1, Math.ceil((w.resetAt - this.#now()) / 1000));
  }

  /** Record one failure; returns the seconds blocked when this failure reached the limit. */
  fail(address: string): number | null {
    let w = this.#current(address);
    if (!w) {
      if (this.#windows.size >= this.#maxTracked) {
        const oldest = this.#windows.keys().next();
        if (!oldest.done) this.#windows.delete(oldest.value);
      }
      w = { failures: 0, resetAt: this.#now() + this.#windowMs };
      this.#windows.set(address, w);
    }
    w.failures++;
    return this.blockedFor(address);
  }

  #current(address: string): Window | undefined {
    const w = this.#windows.get(address);
    if (w && w.resetAt <= this.#now()) {
      this.#windows.delete(address);
      return undefined;
    }
    return w;
  }
}
