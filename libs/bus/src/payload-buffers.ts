/**
 * Buffers for large received NATS payloads, lent to the (patched) NATS client's parser and taken
 * back by their user once nothing holds them any more: the api streams ~1 MiB `engine.read`
 * replies to HTTP clients, and a fresh buffer per reply is external memory that makes V8 start a
 * full collection every few dozen of them. See patches/README.md (`@nats-io/nats-core`).
 *
 * Only payloads of at least `minBytes` and at most `size` bytes come from here; a buffer handed
 * back (`give`) must be one nobody reads or writes again. At most `keep` free buffers are held.
 */
export class PayloadBuffers {
  readonly #free: ArrayBuffer[] = [];
  /** The buffers this pool made (a view handed back is recognised by its memory). */
  readonly #ours = new WeakSet<ArrayBufferLike>();
  #lent = 0;
  #reused = 0;

  constructor(
    readonly size: number,
    readonly keep: number,
    readonly minBytes = 256 * 1024,
  ) {}

  /** A buffer of at least `bytes` bytes (uninitialised), or undefined: the caller makes its own. */
  take(bytes: number): ArrayBuffer | undefined {
    if (bytes < this.minBytes || bytes > this.size) return undefined;
    this.#lent++;
    const reused = this.#free.pop();
    if (reused) {
      this.#reused++;
      return reused;
    }
    const made = Buffer.allocUnsafeSlow(this.size).buffer;
    this.#ours.add(made);
    return made;
  }

  /** Hand back the memory of `view` (one of ours; others are left to the GC). */
  give(view: Uint8Array): void {
    const buf = view.buffer;
    if (!this.#ours.has(buf) || this.#free.length >= this.keep) return;
    if (this.#free.includes(buf as ArrayBuffer)) return; // handed back twice: hold it once
    this.#free.push(buf as ArrayBuffer);
  }

  /** Whether `view` is a view of one of this pool's buffers. */
  owns(view: Uint8Array): boolean {
    return this.#ours.has(view.buffer);
  }

  get stats(): { free: number; lent: number; reused: number } {
    return { free: this.#free.length, lent: this.#lent, reused: this.#reused };
  }

  /** Drop the free buffers. */
  clear(): void {
    this.#free.length = 0;
  }
}

/** The symbol the patched `@nats-io/nats-core` parser looks up for a payload buffer. */
const HOOK = Symbol.for('nats-core.payloadBuffer');

/**
 * Lend `pool`'s buffers to every NATS connection of this process (the patched parser; without the
 * patch nothing is lent and `give` ignores what it did not make). Returns the uninstall.
 */
export function lendPayloadBuffers(pool: PayloadBuffers): () => void {
  const g = globalThis as Record<symbol, unknown>;
  const take = (bytes: number) => pool.take(bytes);
  g[HOOK] = take;
  return () => {
    if (g[HOOK] === take) delete g[HOOK];
  };
}
