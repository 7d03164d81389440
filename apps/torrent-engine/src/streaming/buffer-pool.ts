/**
 * Read buffers used again once their `engine.read` reply has left the process (the bus's `sent`
 * callback): a fresh ~1 MiB buffer per read is external memory, and V8 starts a full collection
 * every few dozen of them (~20-25 % of the engine's busy samples while streaming). Every buffer
 * is `size` bytes; a read takes a view of one. At most `keep` free buffers are held; `clear`
 * drops them (no stream open).
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  /** The memory of buffers this pool made (a view handed back is recognised by it). */
  readonly #ours = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly size: number,
    readonly keep: number,
  ) {}

  /** Free buffers held. */
  get held(): number {
    return this.#free.length;
  }

  /** `length` bytes, uninitialised: a view of a pooled buffer, or a buffer of its own when larger. */
  take(length: number): Buffer {
    if (length > this.size) return Buffer.allocUnsafe(length);
    let whole = this.#free.pop();
    if (!whole) {
      whole = Buffer.allocUnsafeSlow(this.size);
      this.#ours.add(whole.buffer);
    }
    return whole.subarray(0, length);
  }

  /** Hand back a buffer from `take` that nothing holds any more (others are left to the GC). */
  give(buf: Buffer): void {
    if (!this.#ours.has(buf.buffer) || this.#free.length >= this.keep) return;
    this.#free.push(Buffer.from(buf.buffer, 0, this.size));
  }

  clear(): void {
    this.#free.length = 0;
  }
}
