/**
 * Counts failed authentications (wrong keys) per client address in fixed windows. Once an
 * address has failed `max` times in a window, its wrong keys are answered 429 (with Retry-After)
 * instead of 401 until the window ends, and they go on being counted (for the log).
 *
 * The limiter never refuses a valid key: the auth hook verifies the key first and lets a valid
 * one through whatever the limiter says. Otherwise anyone who can reach the api from the owner's
 * address (every local process shares 127.0.0.1) could lock the owner out with ten wrong keys.
 * The keys are what resists guessing (a generated key has 256 bits, BITWEEN_API_TOKEN at least 16
 * characters); see the api's README.
 *
 * Hand-written rather than @fastify/rate-limit: that one counts every request of a route and
 * cannot look before it counts, which is what "count only failures" needs.
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

/** One failure as recorded. */
export interface Failure {
  /** Failures of this address in the current window, this one included. */
  failures: number;
  /** Seconds until the window ends when the address is over its limit, else null. */
  blockedFor: number | null;
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

  /** Failures allowed per window. */
  get max(): number {
    return this.#max;
  }

  /** Seconds until `address` is no longer over its limit, or null when it is not. */
  blockedFor(address: string): number | null {
    const w = this.#current(address);
    if (!w || w.failures < this.#max) return null;
    return Math.max(1, Math.ceil((w.resetAt - this.#now()) / 1000));
  }

  /** Record one failure of `address`. */
  fail(address: string): Failure {
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
    return { failures: w.failures, blockedFor: this.blockedFor(address) };
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
