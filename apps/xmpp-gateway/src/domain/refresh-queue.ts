/**
 * Runs one task per key, at most `concurrency` at a time, in the order asked; a key already
 * waiting or running is not queued again. Used to fetch each contact's current item once when
 * it comes online (bounded, so a login with many contacts does not burst past the server's
 * rate limit).
 */
export class RefreshQueue {
  readonly #waiting: string[] = [];
  readonly #pending = new Set<string>();
  #running = 0;
  #generation = 0;

  constructor(
    private readonly concurrency: number,
    private readonly task: (key: string) => Promise<void>,
  ) {}

  add(key: string): void {
    if (this.#pending.has(key)) return;
    this.#pending.add(key);
    this.#waiting.push(key);
    this.#next();
  }

  /** Forget every waiting key (running tasks finish; their results are the caller's to judge). */
  clear(): void {
    this.#generation += 1;
    this.#waiting.length = 0;
    this.#pending.clear();
  }

  get size(): number {
    return this.#pending.size;
  }

  #next(): void {
    while (this.#running < this.concurrency && this.#waiting.length > 0) {
      const key = this.#waiting.shift()!;
      const generation = this.#generation;
      this.#running += 1;
      void this.task(key)
        .catch(() => undefined) // the task reports its own errors
        .finally(() => {
          this.#running -= 1;
          if (generation === this.#generation) this.#pending.delete(key);
          this.#next();
        });
    }
  }
}
