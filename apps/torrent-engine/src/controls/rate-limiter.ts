/**
 * A byte-rate limiter as a virtual clock (GCRA, the arithmetic of a token bucket): each
 * reservation of `n` bytes moves the time at which the budget is free again by n / rate;
 * a caller waits until that time is at most `burstMs` ahead. Up to `burstMs` of unused budget carries
 * over, so a short idle period does not cost throughput, but bytes passed over any window of
 * T ms never exceed rate × (T + burstMs) plus one reservation. Reservations are served in the
 * order they are made. `rate` null = unlimited (no waiting, no bookkeeping).
 */
export class RateLimiter {
  #rate: number | null;
  /** Theoretical arrival time: ms (on `now`'s clock) at which everything reserved has passed. */
  #tat = Number.NEGATIVE_INFINITY;

  constructor(
    rate: number | null,
    private readonly burstMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#rate = checkRate(rate);
  }

  get rate(): number | null {
    return this.#rate;
  }

  set rate(rate: number | null) {
    this.#rate = checkRate(rate);
    this.#tat = Number.NEGATIVE_INFINITY;
  }

  /** Reserve `bytes`; returns how many ms to wait before passing them (0 = now). */
  reserve(bytes: number): number {
    if (this.#rate === null || bytes <= 0) return 0;
    const now = this.now();
    const wait = Math.max(0, this.#tat - this.burstMs - now);
    this.#tat = Math.max(now + wait, this.#tat) + (bytes / this.#rate) * 1000;
    return wait;
  }
}

function checkRate(rate: number | null): number | null {
  if (rate !== null && !(Number.isFinite(rate) && rate > 0)) throw new RangeError(`invalid rate ${rate}`);
  return rate;
}
