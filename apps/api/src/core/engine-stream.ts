import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { engine, fail, READ_HEADERS, type Result } from '@bitween/messages';
import type { Bus, PayloadBuffers, RawReply } from '@bitween/bus';
import { firstEvent, type Logger } from '@bitween/runtime';

/**
 * Chunk reads in flight across every response of this api (each holds up to one chunk in memory
 * until the client takes it): many concurrent streams share them instead of each taking its
 * whole window.
 */
export class ReadSlots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  constructor(readonly total: number) {
    this.#free = total;
  }
  tryTake(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }
  release(): void {
    this.#free++;
    this.#waiters.shift()?.();
  }
  /** Resolves when a slot may be free (take it with tryTake). */
  whenFree(): Promise<void> {
    return this.#free > 0 ? Promise.resolve() : new Promise((wake) => this.#waiters.push(wake));
  }
}

interface Pending {
  at: number;
  length: number;
  reply: Promise<Result<RawReply>>;
}

export interface EngineStreamOptions {
  bus: Bus;
  log: Logger;
  engineId: string;
  hash: string;
  file: number;
  /** Bytes [start, end) of the file. */
  start: number;
  end: number;
  /** Bytes per `engine.read` (readChunkBytes of the server's max_payload). */
  chunkBytes: number;
  /** Reads in flight at once (the flow-control window). */
  window: number;
  /** Shared by every stream of the api. */
  slots: ReadSlots;
  /** How long one read may wait for its pieces (the engine's wait; the request gets 5 s more). */
  waitMs: number;
  /**
   * The receive buffers lent to the NATS client (`lendPayloadBuffers`): piped to a writable, each
   * reply's buffer goes back once the writable has written it.
   */
  buffers?: PayloadBuffers;
}

/**
 * The bytes of one file range, read from the engine that owns the torrent over NATS
 * (`engine.read`, raw-bytes replies): up to `window` chunk reads in flight, the next asked for
 * only while the HTTP side takes what came (backpressure), so at most `window` chunks are held
 * per response. Destroyed (the client went away), it asks for nothing more and tells the engine
 * (`engine.stream-close`), which drops the stream's piece priorities and its waiting reads.
 */
export class EngineStream extends Readable {
  readonly id = randomBytes(12).toString('base64url');
  /** The next byte to ask for. */
  #offset: number;
  readonly #pending: Pending[] = [];
  #running = false;
  #wake: (() => void) | null = null;
  #done = false;
  /** The first chunk (from `first()`), not yet handed on. */
  #head: Uint8Array | null = null;
  /** Piped by `pipe` (writes with callbacks), not read as a Readable. */
  #pumping = false;

  constructor(private readonly o: EngineStreamOptions) {
    super({ highWaterMark: o.chunkBytes });
    this.#offset = o.start;
  }

  /** Ask for the first chunks and wait for the first bytes: a failure can still be an HTTP status. */
  async first(): Promise<Result<Uint8Array | null>> {
    await this.#fillOne();
    const r = await this.#take();
    if (r === null) return { ok: true, value: null };
    if (!r.ok) return r;
    this.#head = r.value;
    return r;
  }

  /**
   * To a writable (the HTTP response): each chunk written with a callback, so that its receive
   * buffer goes back to `buffers` once the socket has written it (a ~1 MiB buffer per reply left
   * to the GC made V8 run a full collection every few dozen replies); the next chunk only once the
   * writable has taken the last ('drain'). Without `buffers`, or piped twice, a Readable's pipe.
   */
  override pipe<T extends NodeJS.WritableStream>(dest: T, opts?: { end?: boolean }): T {
    if (!this.o.buffers || this.#running || this.#pumping) return super.pipe(dest, opts);
    this.#pumping = true;
    this.#running = true;
    // Nothing is pushed in this mode but the end: flowing, the Readable emits 'end' (for whoever
    // watches it) once the range is read, and the writable ends after it, as a Readable's pipe does.
    if (opts?.end ?? true) this.once('end', () => dest.end());
    this.resume();
    void this.#pump(dest as unknown as Writable, this.o.buffers);
    return dest;
  }

  async #pump(dest: Writable, buffers: PayloadBuffers): Promise<void> {
    for (let chunk = await this.#next(); chunk && !dest.destroyed; chunk = await this.#next()) {
      const written = chunk;
      const taken = buffers.owns(written)
        ? dest.write(written, (err) => {
            if (!err) buffers.give(written);
          })
        : dest.write(written);
      // On the writable's 'drain', or when it or this stream closes.
      if (!taken) await firstEvent([dest, 'drain', 'close'], [this, 'close']);
    }
  }

  async #run(): Promise<void> {
    for (let chunk = await this.#next(); chunk; chunk = await this.#next()) {
      if (!this.push(chunk)) await new Promise<void>((wake) => (this.#wake = wake));
    }
  }

  /**
   * The next chunk, for either way out (`#pump`, `#run`): the one `first()` kept, else the head of
   * the line once the window is filled. null when there is nothing more to hand on: the range is
   * all read (the engine is told, the Readable ends), a read failed (this stream is destroyed with
   * its error) or this stream was destroyed.
   */
  async #next(): Promise<Uint8Array | null> {
    if (this.destroyed) return null;
    const head = this.#head;
    this.#head = null;
    if (head) return head;
    await this.#fillOne();
    if (this.destroyed) return null;
    const r = await this.#take();
    if (this.destroyed) return null;
    if (r === null) {
      this.#closeRemote('finished');
      this.push(null);
      return null;
    }
    if (!r.ok) {
      this.destroy(new Error(`${r.error.code}: ${r.error.message}`));
      return null;
    }
    return r.value;
  }

  override _read(): void {
    if (this.#pumping) return;
    if (this.#wake) {
      const wake = this.#wake;
      this.#wake = null;
      wake();
    }
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#wake?.();
    // Reads nobody will take: their slots are free once their replies are in (or failed).
    for (const p of this.#pending.splice(0)) void p.reply.finally(() => this.o.slots.release());
    this.#closeRemote(err ? 'failed' : 'client-gone');
    cb(err);
  }

  /** Once: the engine drops the stream's priorities and fails its waiting reads (fire and forget). */
  #closeRemote(reason: 'finished' | 'client-gone' | 'failed'): void {
    if (this.#done) return;
    this.#done = true;
    void this.o.bus
      .request(engine.streamClose, { stream: this.id, reason }, { params: { engineId: this.o.engineId } })
      .then((r) => {
        if (!r.ok) this.o.log.debug({ stream: this.id, error: r.error.message }, 'stream-close not answered');
      });
  }

  /** #fill, and when no read is in flight and none could start (no free slot), wait for one. */
  async #fillOne(): Promise<void> {
    this.#fill();
    while (this.#pending.length === 0 && this.#offset < this.o.end && !this.destroyed) {
      await this.o.slots.whenFree();
      this.#fill();
    }
  }

  #fill(): void {
    const { chunkBytes, end, window } = this.o;
    while (this.#pending.length < window && this.#offset < end && this.o.slots.tryTake()) {
      const at = this.#offset;
      const length = Math.min(chunkBytes, end - at);
      this.#offset += length;
      this.#pending.push(this.#issue(at, length));
    }
  }

  #issue(at: number, length: number): Pending {
    const reply = this.o.bus.requestRaw(
      engine.read,
      { hash: this.o.hash, file: this.o.file, offset: at, length, stream: this.id, timeoutMs: this.o.waitMs },
      { params: { engineId: this.o.engineId }, timeoutMs: this.o.waitMs + 5_000 },
    );
    // Reads after a destroy are not awaited: their failure is nobody's business.
    reply.catch(() => undefined);
    return { at, length, reply };
  }

  /**
   * The bytes of the read at the head of the line (null: everything was read). The engine answers
   * as soon as the first piece of a read is there, with the verified bytes from its start: the
   * rest is asked for again, first in line, on the same slot.
   */
  async #take(): Promise<Result<Uint8Array> | null> {
    const head = this.#pending.shift();
    if (!head) return null;
    const r = await head.reply;
    if (!r.ok) {
      this.o.slots.release();
      return fail(r.error.code, `engine.read at ${head.at}: ${r.error.message}`);
    }
    const got = r.value.data.length;
    if (got === 0 || got > head.length) {
      this.o.slots.release();
      return fail(
        'invalid_reply',
        `engine ${this.o.engineId} answered ${got} bytes at ${head.at} for ${head.length}` +
          ` (file size ${r.value.header(READ_HEADERS.fileSize)})`,
      );
    }
    if (got < head.length && !this.destroyed)
      this.#pending.unshift(this.#issue(head.at + got, head.length - got));
    else this.o.slots.release();
    return { ok: true, value: r.value.data };
  }
}
