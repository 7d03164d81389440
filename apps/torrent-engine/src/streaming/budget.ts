/**
 * A byte budget shared by every read under way: a read takes its bytes before it allocates its
 * buffer and gives them back once the reply is sent, so memory held by streams stays bounded
 * however many streams run. Waiters are served in order.
 */
export class ByteBudget {
  #free: number;
  readonly #queue: { bytes: number; go: () => void }[] = [];

  constructor(readonly total: number) {
    this.#free = total;
  }

  get free(): number {
    return this.#free;
  }

  /** Resolves once `bytes` (capped at the total) are taken; release them with the returned function. */
  async take(bytes: number): Promise<() => void> {
    const n = Math.min(bytes, this.total);
    if (this.#queue.length === 0 && this.#free >= n) {
      this.#free -= n;
    } else {
      await new Promise<void>((go) => this.#queue.push({ bytes: n, go }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += n;
      this.#drain();
    };
  }

  #drain(): void {
    for (let next = this.#queue[0]; next && this.#free >= next.bytes; next = this.#queue[0]) {
      this.#queue.shift();
      this.#free -= next.bytes;
      next.go();
    }
  }
}
