import { read as fsRead } from 'node:fs';
import path from 'node:path';
import { BusError } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import type { Torrent } from 'webtorrent';
import { closeFd, openConfined } from '../confined-open.js';
import { ByteBudget } from './budget.js';
import { BufferPool } from './buffer-pool.js';

/**
 * Reads of files of torrents for HTTP Range streaming (the api's `/content` route, over
 * `engine.read`). A stream is one HTTP response of the api, named by the api:
 *
 * - Priorities: the pieces under a read and a read-ahead window after it are a webtorrent
 *   "stream selection" of higher priority than the engine's own (priority 0) selections, so
 *   every peer is asked for them first; the piece under the read is also marked critical (it
 *   may take blocks reserved by slow peers). A read elsewhere (a seek) moves the window; pieces
 *   nobody waits for keep the usual order. Closing the stream drops its window.
 * - Waiting: a read waits until every piece it covers is verified (`verified` events), up to
 *   its timeout; closing the stream fails its waiting reads at once.
 * - Reading: verified pieces are on disk (webtorrent marks a piece verified once the store
 *   wrote it); the file is opened once per stream below the share roots without following links
 *   (confined-open.ts) and read with pread into a buffer of a pool (used again once the reply has
 *   left: `sent`). Memory: every read takes its bytes from one budget until its reply has left
 *   (bounded however many streams run); streams are capped in number and closed after a while
 *   without reads (an api that died never closed them).
 */

/** webtorrent internals used here (3.0.21: torrent.js `_select`/`_deselect`/`critical`, file.js). */
interface StreamFile {
  readonly path: string;
  readonly length: number;
  /** Where the file starts in the torrent's bytes. */
  readonly offset: number;
  readonly _startPiece: number;
  readonly _endPiece: number;
}
interface StreamTorrent {
  readonly destroyed: boolean;
  readonly ready: boolean;
  readonly paused: boolean;
  readonly path: string;
  readonly pieceLength: number;
  readonly files: readonly StreamFile[];
  readonly bitfield: { get(index: number): boolean } | null | undefined;
  _critical: boolean[];
  _select(from: number, to: number, priority: number, notify: null, isStreamSelection: true): void;
  _deselect(from: number, to: number, isStreamSelection: true): void;
  critical(from: number, to: number): void;
  on(event: 'verified', listener: (index: number) => void): unknown;
  removeListener(event: 'verified', listener: (index: number) => void): unknown;
  once(event: 'ready', listener: () => void): unknown;
  removeListener(event: 'ready', listener: () => void): unknown;
}

function whenReady(t: StreamTorrent, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      t.removeListener('ready', ready);
      reject(new BusError('conflict', 'the torrent is not ready yet (metadata or storage pending)'));
    }, timeoutMs);
    t.once('ready', ready);
  });
}

export type StreamSource = (hash: string) => { torrent: Torrent | null; roots: readonly string[] };

export interface ReadRequest {
  hash: string;
  file: number;
  offset: number;
  length: number;
  stream: string;
  readAhead?: number | undefined;
  timeoutMs?: number | undefined;
}

export interface FileStreamsOptions {
  source: StreamSource;
  log: Logger;
  /** Streams held at once; opening one more closes the least recently used. Default 256. */
  maxStreams?: number;
  /** Bytes of all reads under way (buffers not yet sent). Default 64 MiB. */
  bufferBytes?: number;
  /** Read-ahead when a read names none, and the most a read may name. Default 16 / 256 MiB. */
  readAheadBytes?: number;
  maxReadAheadBytes?: number;
  /** A read waits this long for its pieces unless it says otherwise. Default 60 s. */
  waitMs?: number;
  /** A stream without reads for this long is closed. Default 60 s. */
  idleMs?: number;
  /** Size of the pooled read buffers (the longest read: one reply's payload). Default 1 MiB. */
  readBufferBytes?: number;
}

/** Priority of a stream's window (the engine's own selections have 0). */
const STREAM_PRIORITY = 1;
/** Ids of closed streams remembered (a late read of a closed stream is refused, not reopened). */
const CLOSED_MEMORY = 4096;

interface Waiter {
  readonly first: number;
  readonly last: number;
  readonly done: (err: BusError | null) => void;
}

class Stream {
  window: { torrent: StreamTorrent; from: number; to: number } | null = null;
  fd: Promise<number> | null = null;
  lastUsed = Date.now();
  reads = 0;
  bytes = 0;
  readonly waiters = new Set<Waiter>();
  constructor(
    readonly id: string,
    readonly hash: string,
    readonly file: number,
  ) {}
}

export interface StreamCounters {
  opened: number;
  closed: number;
  /** Reads that were waiting for pieces when their stream closed. */
  cancelledReads: number;
  reads: number;
  bytes: number;
}

export class FileStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #closed = new Set<string>();
  readonly #budget: ByteBudget;
  /** One `verified` listener per torrent, for all its waiting reads. */
  readonly #watchers = new Map<StreamTorrent, { waiters: Set<Waiter>; listener: (i: number) => void }>();
  readonly #sweep: NodeJS.Timeout;
  readonly counters: StreamCounters = { opened: 0, closed: 0, cancelledReads: 0, reads: 0, bytes: 0 };
  readonly #o: Required<Omit<FileStreamsOptions, 'source' | 'log'>>;
  readonly #pool: BufferPool;

  constructor(private readonly opts: FileStreamsOptions) {
    this.#o = {
      maxStreams: opts.maxStreams ?? 256,
      bufferBytes: opts.bufferBytes ?? 64 * 1024 * 1024,
      readAheadBytes: opts.readAheadBytes ?? 16 * 1024 * 1024,
      maxReadAheadBytes: opts.maxReadAheadBytes ?? 256 * 1024 * 1024,
      waitMs: opts.waitMs ?? 60_000,
      idleMs: opts.idleMs ?? 60_000,
      readBufferBytes: opts.readBufferBytes ?? 1024 * 1024,
    };
    this.#budget = new ByteBudget(this.#o.bufferBytes);
    // Two responses' worth of the api's reads in flight (8 each), never more than the budget.
    const keep = Math.max(1, Math.min(16, Math.floor(this.#o.bufferBytes / this.#o.readBufferBytes)));
    this.#pool = new BufferPool(this.#o.readBufferBytes, keep);
    this.#sweep = setInterval(() => this.#closeIdle(), Math.max(1000, this.#o.idleMs / 4));
    this.#sweep.unref();
  }

  get open(): number {
    return this.#streams.size;
  }

  /**
   * The bytes [offset, offset + length) of a file and the file's size, once the piece holding the
   * first byte is verified: fewer bytes when a later piece of the range is not verified yet (the
   * verified run from the start), or at the end of the file. Throws BusError: not_found (no torrent, no such
   * file), invalid_request (offset past the end, a stream of another file, a closed stream),
   * conflict (no metadata yet, paused with pieces missing), timeout, failed (stream closed).
   * Call `sent` once the bytes are no longer needed (true: nothing holds them, they may be used
   * for another read; false: something may still): the read's share of the budget comes back.
   */
  async read(
    req: ReadRequest,
  ): Promise<{ bytes: Buffer; fileSize: number; sent: (reusable: boolean) => void }> {
    const { torrent: t0, roots } = this.opts.source(req.hash);
    const t = t0 as unknown as StreamTorrent | null;
    if (!t || t.destroyed) throw new BusError('failed', `torrent ${req.hash} is not running (it failed)`);
    // Metadata known (the api lists the files) but the store still opening: wait for it briefly.
    if (!t.ready) await whenReady(t, Math.min(req.timeoutMs ?? this.#o.waitMs, 10_000));
    if (!t.bitfield) throw new BusError('conflict', `torrent ${req.hash}: metadata not known yet`);
    const file = t.files[req.file];
    if (!file) throw new BusError('not_found', `torrent ${req.hash} has no file ${req.file}`);
    if (req.offset > file.length) {
      throw new BusError(
        'invalid_request',
        `offset ${req.offset} is past the end of the file (${file.length})`,
      );
    }
    const full = Math.min(req.length, file.length - req.offset);
    if (this.#closed.has(req.stream)) throw new BusError('invalid_request', `stream ${req.stream} is closed`);
    const s = this.#stream(req);
    s.lastUsed = Date.now();
    if (full === 0) return { bytes: Buffer.alloc(0), fileSize: file.length, sent: () => undefined };

    const start = file.offset + req.offset;
    const first = Math.floor(start / t.pieceLength);
    const last = Math.floor((start + full - 1) / t.pieceLength);
    const ahead = Math.min(req.readAhead ?? this.#o.readAheadBytes, this.#o.maxReadAheadBytes);
    const windowEnd = Math.min(file._endPiece, Math.floor((start + full - 1 + ahead) / t.pieceLength));
    if (!this.#complete(t, first, last)) this.#prioritise(s, t, first, Math.max(last, windowEnd));
    // The first piece is enough to answer: the verified bytes from the read's start (a slow
    // friend's first piece is seconds ahead of the read's last; the api asks again for the rest).
    await this.#waitFor(s, t, first, first, req.timeoutMs ?? this.#o.waitMs);
    let through = first;
    while (through < last && t.bitfield.get(through + 1)) through++;
    const length = Math.min(full, (through + 1) * t.pieceLength - start);

    const release = await this.#budget.take(length);
    let bytes: Buffer | null = null;
    try {
      if (!this.#streams.has(s.id)) throw new BusError('failed', `stream ${s.id} closed`);
      s.fd ??= openConfined(roots, path.resolve(t.path, file.path));
      const fd = await s.fd.catch((err: unknown) => {
        s.fd = null;
        throw new BusError('failed', `cannot open ${file.path}: ${(err as Error).message}`);
      });
      bytes = this.#pool.take(length);
      await preadAll(fd, bytes, req.offset);
    } catch (err) {
      // Nothing else saw the buffer.
      if (bytes) this.#pool.give(bytes);
      release();
      throw err;
    }
    s.reads++;
    s.bytes += length;
    this.counters.reads++;
    this.counters.bytes += length;
    const out = bytes;
    let done = false;
    const sent = (reusable: boolean) => {
      if (done) return;
      done = true;
      if (reusable) this.#pool.give(out);
      release();
    };
    return { bytes: out, fileSize: file.length, sent };
  }

  /**
   * Close a stream: its window is dropped, its waiting reads fail. False when there was none.
   * `final` (the api closed it): later reads of it are refused. Otherwise (idle, evicted) a later
   * read opens it again: a player paused for minutes keeps its HTTP response and goes on.
   */
  close(id: string, reason: string, final = true): boolean {
    if (final) {
      this.#closed.add(id);
      if (this.#closed.size > CLOSED_MEMORY) this.#closed.delete(this.#closed.values().next().value!);
    }
    const s = this.#streams.get(id);
    if (!s) return false;
    this.#streams.delete(id);
    this.counters.closed++;
    const cancelled = s.waiters.size;
    this.counters.cancelledReads += cancelled;
    for (const w of [...s.waiters]) w.done(new BusError('failed', `stream ${id} closed (${reason})`));
    this.#dropWindow(s);
    const fd = s.fd;
    s.fd = null;
    void fd?.then(closeFd, () => undefined);
    this.opts.log.info(
      {
        stream: id,
        hash: s.hash,
        file: s.file,
        reason,
        reads: s.reads,
        bytes: s.bytes,
        cancelledReads: cancelled,
      },
      'stream closed',
    );
    return true;
  }

  /** Close every stream (engine stopping). */
  stop(): void {
    clearInterval(this.#sweep);
    for (const id of [...this.#streams.keys()]) this.close(id, 'engine stopping');
  }

  #stream(req: ReadRequest): Stream {
    const held = this.#streams.get(req.stream);
    if (held) {
      if (held.hash !== req.hash || held.file !== req.file) {
        throw new BusError('invalid_request', `stream ${req.stream} reads another file`);
      }
      return held;
    }
    if (this.#streams.size >= this.#o.maxStreams) {
      let oldest: Stream | null = null;
      for (const s of this.#streams.values()) if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s;
      if (oldest) this.close(oldest.id, 'too many streams', false);
    }
    const s = new Stream(req.stream, req.hash, req.file);
    this.#streams.set(s.id, s);
    this.counters.opened++;
    this.opts.log.debug({ stream: s.id, hash: s.hash, file: s.file }, 'stream opened');
    return s;
  }

  #closeIdle(): void {
    const before = Date.now() - this.#o.idleMs;
    for (const s of [...this.#streams.values()]) {
      if (s.lastUsed < before && s.waiters.size === 0) this.close(s.id, 'idle', false);
    }
    // Nobody streams: the pooled buffers go back to the system.
    if (this.#streams.size === 0) this.#pool.clear();
  }

  #complete(t: StreamTorrent, first: number, last: number): boolean {
    const bitfield = t.bitfield;
    if (!bitfield) return false;
    for (let i = first; i <= last; i++) if (!bitfield.get(i)) return false;
    return true;
  }

  /**
   * Move the stream's window to pieces [from, to], extended back to the first piece a read of
   * this stream still waits for (the api pipelines reads: a later read must not take the
   * priority from an earlier one); the first missing piece is made critical.
   */
  #prioritise(s: Stream, t: StreamTorrent, first: number, last: number): void {
    let from = first;
    for (const w of s.waiters) from = Math.min(from, w.first);
    const to = Math.max(last, from);
    const w = s.window;
    if (w && w.torrent === t && w.from === from && w.to === to) return;
    this.#dropWindow(s);
    if (t.destroyed) return;
    t._select(from, to, STREAM_PRIORITY, null, true);
    s.window = { torrent: t, from, to };
    const bitfield = t.bitfield;
    let missing = from;
    while (missing <= to && bitfield?.get(missing)) missing++;
    if (missing <= to) t.critical(missing, Math.min(missing + 1, to));
  }

  #dropWindow(s: Stream): void {
    const w = s.window;
    s.window = null;
    if (!w || w.torrent.destroyed) return;
    w.torrent._deselect(w.from, w.to, true);
    // Critical marks are webtorrent's forever; clear ours unless another stream's window holds them.
    for (let i = w.from; i <= w.to; i++) {
      if (!w.torrent._critical[i]) continue;
      let held = false;
      for (const other of this.#streams.values()) {
        const o = other.window;
        if (o && o.torrent === w.torrent && i >= o.from && i <= o.to) held = true;
      }
      if (!held) w.torrent._critical[i] = false;
    }
  }

  #waitFor(s: Stream, t: StreamTorrent, first: number, last: number, timeoutMs: number): Promise<void> {
    if (this.#complete(t, first, last)) return Promise.resolve();
    if (t.paused) {
      return Promise.reject(
        new BusError(
          'conflict',
          `torrent is paused: pieces ${first}-${last} cannot arrive until it is resumed`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let watch = this.#watchers.get(t);
      if (!watch) {
        const waiters = new Set<Waiter>();
        const listener = (index: number) => {
          for (const w of [...waiters]) {
            if (index >= w.first && index <= w.last && this.#complete(t, w.first, w.last)) w.done(null);
          }
        };
        watch = { waiters, listener };
        this.#watchers.set(t, watch);
        t.on('verified', listener);
      }
      const watching = watch;
      const timer = setTimeout(
        () =>
          waiter.done(new BusError('timeout', `pieces ${first}-${last} did not arrive in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter: Waiter = {
        first,
        last,
        done: (err) => {
          clearTimeout(timer);
          s.waiters.delete(waiter);
          watching.waiters.delete(waiter);
          if (watching.waiters.size === 0 && this.#watchers.get(t) === watching) {
            this.#watchers.delete(t);
            t.removeListener('verified', watching.listener);
          }
          if (err) reject(err);
          else resolve();
        },
      };
      s.waiters.add(waiter);
      watching.waiters.add(waiter);
    });
  }
}

/** Fill `buf` from `fd` at `position` (pread until full; the file is shorter: an error). */
async function preadAll(fd: number, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const n = await new Promise<number>((resolve, reject) =>
      fsRead(fd, buf, done, buf.length - done, position + done, (err, got) =>
        err ? reject(err) : resolve(got),
      ),
    );
    if (n === 0) throw new BusError('failed', `the file on disk ends at ${position + done}, before its size`);
    done += n;
  }
}
