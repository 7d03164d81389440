/**
 * Bytes per second over the last few seconds, from what is added: 0 once nothing has moved for
 * the whole window (webtorrent's meters count raw socket bytes, keep-alives included, and a meter
 * nobody feeds keeps its last value).
 */
export class RateMeter {
  readonly #window: number;
  readonly #bytes: number[];
  readonly #second: number[];

  constructor(windowSeconds = 5) {
    this.#window = windowSeconds;
    this.#bytes = new Array<number>(windowSeconds + 1).fill(0);
    this.#second = new Array<number>(windowSeconds + 1).fill(-1);
  }

  add(bytes: number, now = Date.now()): void {
    const s = Math.floor(now / 1000);
    const i = s % this.#bytes.length;
    if (this.#second[i] !== s) {
      this.#second[i] = s;
      this.#bytes[i] = 0;
    }
    this.#bytes[i]! += bytes;
  }

  /** Bytes/s over the last `windowSeconds` whole seconds and the current one so far. */
  rate(now = Date.now()): number {
    const s = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < this.#bytes.length; i++) {
      const at = this.#second[i]!;
      if (at <= s && at >= s - this.#window) sum += this.#bytes[i]!;
    }
    return sum / (this.#window + (now % 1000) / 1000);
  }
}
