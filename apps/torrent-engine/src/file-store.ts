import { close, read, write } from 'node:fs';
import path from 'node:path';
import { isRefusal, openConfined, unlinkConfined } from './confined-open.js';

/** What webtorrent passes to a custom `store` (abstract-chunk-store), as far as we use it. */
export interface StoreOptions {
  /** The save path: every file lives at `<path>/<file path>`. */
  path?: string;
  files?: { path: string; length: number; offset?: number }[];
  length?: number;
  /**
   * The real paths of the share roots (resolveShareRoots; passed by the engine as `storeOpts`).
   * Every file is opened below one of them without following symbolic links (confined-open.ts).
   */
  roots?: readonly string[];
  /** The torrent (webtorrent passes it): a refused open fails it, see FileStore. */
  torrent?: { destroyed?: boolean; _destroy?: (err: Error) => void };
}

/** Memory for whole pieces read to serve their blocks (at least two pieces). */
const READ_CACHE_BYTES = 8 * 1024 * 1024;

type Callback<T = void> = (err: Error | null, value?: T) => void;

/** Where part of a piece lives: bytes [from, to) of the piece are at `offset` in `file`. */
interface Target {
  readonly file: StoreFile;
  readonly from: number;
  readonly to: number;
  readonly offset: number;
}

/**
 * One file of the torrent with its descriptors, opened on first use and kept open until the
 * store closes. Reads use a read-only descriptor until something is written (a shared folder
 * may be read-only, e.g. mounted `:ro`); the first write creates the file's folders and the
 * file and opens it read-write. Both open below the share roots without following links
 * (openConfined): the check is made by the open that gives the descriptor read or written.
 */
class StoreFile {
  #readFd: Promise<number> | null = null;
  #writeFd: Promise<number> | null = null;
  #closed = false;

  constructor(
    readonly path: string,
    readonly length: number,
    private readonly roots: readonly string[],
    private readonly onRefused: (err: Error) => void,
  ) {}

  forRead(): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('Storage is closed'));
    return (this.#writeFd ?? (this.#readFd ??= openConfined(this.roots, this.path))).catch((err) => {
      this.#readFd = null; // e.g. not there yet: try again next time
      throw this.#refused(err);
    });
  }

  forWrite(): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('Storage is closed'));
    this.#writeFd ??= openConfined(this.roots, this.path, { write: true });
    return this.#writeFd.catch((err) => {
      this.#writeFd = null;
      throw this.#refused(err);
    });
  }

  #refused(err: unknown): unknown {
    if (isRefusal(err)) this.onRefused(err);
    return err;
  }

  /** Close every descriptor; no read or write starts afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const fds = [this.#readFd, this.#writeFd];
    this.#readFd = this.#writeFd = null;
    await Promise.all(
      fds.map(async (p) => {
        const fd = await p?.catch(() => null);
        if (fd != null) await new Promise<void>((resolve) => close(fd, () => resolve()));
      }),
    );
  }
}

/**
 * The engine's chunk store for webtorrent (the `store` option; abstract-chunk-store API).
 *
 * - Names are exact: every file is stored at `<save path>/<file path>`. fs-chunk-store 5 drops
 *   `<>:"/\|?*` and control characters from names, so a shared `Live: best?.flac` would serve
 *   nothing and a download would land under a name other clients do not use. (File names are
 *   checked in torrent-name-policy.ts before any file is opened: files open lazily, on first use.)
 * - Positional I/O without copies: a piece (or a block of it) is read with one `pread` per file
 *   it spans straight into one Buffer, and written from the caller's buffer. fs-chunk-store
 *   copied every read once more (`concat`) and returned a Uint8Array, on which webtorrent's piece
 *   cache made a third copy per 16 KiB block (`slice`); a Buffer's `slice` is a view. Fewer and
 *   smaller allocations also mean fewer full garbage collections, which V8 starts for every
 *   ~64 MB of new buffer memory.
 * - Descriptors stay open until the torrent closes; shared files are opened read-only.
 * - Nothing outside the share roots is read or written: every file is opened below its root one
 *   component at a time without following symbolic links, and the descriptor is checked
 *   (confined-open.ts). A refused open (a file or folder swapped for a link after it was shared,
 *   a link in the download folder) fails the read or write and the whole torrent, as webtorrent
 *   does for a failed write: it then shows the reason as its error (the engine logs it), and no
 *   peer gets a byte from it (a refused request is rejected).
 */
export class FileStore {
  readonly chunkLength: number;
  readonly length: number;
  readonly files: readonly StoreFile[];
  readonly #chunkMap: Target[][] = [];
  readonly #lastChunkIndex: number;
  readonly #lastChunkLength: number;
  /** The read cache: pieces by index, least recently used first (see #piece). */
  readonly #cache = new Map<number, { buf: Buffer; piece: Promise<Buffer> }>();
  readonly #cacheSlots: number;
  /** Writes under way: close() waits for them, so no write can reach a closed (or reused) fd. */
  readonly #writing = new Set<Promise<unknown>>();
  /** Buffers of evicted pieces, for the next reads. */
  readonly #spare: Buffer[] = [];
  #closed = false;
  readonly #roots: readonly string[];

  constructor(chunkLength: number, opts: StoreOptions) {
    this.chunkLength = Number(chunkLength);
    if (!(this.chunkLength > 0)) throw new Error('First argument must be a chunk length');
    const root = opts.path;
    if (root === undefined || !opts.files) throw new Error('FileStore needs the save path and the files');
    const roots = opts.roots;
    if (!roots) throw new Error('FileStore needs the share roots (storeOpts.roots)');
    this.#roots = roots;
    const torrent = opts.torrent;
    const onRefused = (err: Error): void => {
      if (torrent?._destroy && !torrent.destroyed) queueMicrotask(() => torrent._destroy?.(err));
    };
    let offset = 0;
    this.files = opts.files.map((f) => {
      const file = new StoreFile(path.resolve(root, f.path), f.length, roots, onRefused);
      f.offset ??= offset;
      offset = f.offset + f.length;
      return file;
    });
    const offsets = opts.files.map((f) => f.offset ?? 0);
    this.length = this.files.reduce((sum, f) => sum + f.length, 0);
    if (opts.length !== undefined && opts.length !== this.length) {
      throw new Error('total `files` length is not equal to explicit `length` option');
    }
    this.#lastChunkLength = this.length % this.chunkLength || this.chunkLength;
    this.#lastChunkIndex = Math.ceil(this.length / this.chunkLength) - 1;
    this.#cacheSlots = Math.max(2, Math.floor(READ_CACHE_BYTES / this.chunkLength));
    this.files.forEach((file, i) => {
      const fileStart = offsets[i]!;
      const fileEnd = fileStart + file.length;
      if (file.length === 0) return;
      const first = Math.floor(fileStart / this.chunkLength);
      const last = Math.floor((fileEnd - 1) / this.chunkLength);
      for (let p = first; p <= last; p++) {
        const chunkStart = p * this.chunkLength;
        const chunkEnd = chunkStart + this.chunkLength;
        (this.#chunkMap[p] ??= []).push({
          file,
          from: Math.max(fileStart, chunkStart) - chunkStart,
          to: Math.min(fileEnd, chunkEnd) - chunkStart,
          offset: Math.max(0, chunkStart - fileStart),
        });
      }
    });
  }

  put(index: number, buf: Uint8Array, cb: Callback = noop): void {
    if (this.#closed) return later(cb, new Error('Storage is closed'));
    const expected = index === this.#lastChunkIndex ? this.#lastChunkLength : this.chunkLength;
    if (buf.length !== expected) return later(cb, new Error(`Chunk ${index} must be ${expected} bytes`));
    const targets = this.#chunkMap[index];
    if (!targets) return later(cb, new Error('no files matching the request range'));
    this.#evict(index);
    const write = Promise.all(
      targets.map((t) => t.file.forWrite().then((fd) => writeAll(fd, buf.subarray(t.from, t.to), t.offset))),
    );
    this.#writing.add(write);
    all([write.finally(() => this.#writing.delete(write))], cb);
  }

  get(
    index: number,
    opts: { offset?: number; length?: number } | null | Callback<Buffer>,
    cb?: Callback<Buffer>,
  ): void {
    if (typeof opts === 'function') return this.get(index, null, opts);
    const done = cb ?? noop;
    if (this.#closed) return later(done, new Error('Storage is closed'));
    const chunkLength = index === this.#lastChunkIndex ? this.#lastChunkLength : this.chunkLength;
    const from = opts?.offset ?? 0;
    const to = opts?.length ? from + opts.length : chunkLength;
    if (from < 0 || to > chunkLength || from > to)
      return later(done, new Error('Invalid offset and/or length'));
    if (from === to) return queueMicrotask(() => done(null, Buffer.alloc(0)));
    const reply = (read: Promise<Buffer>): void =>
      void read.then(
        (buf) => done(null, buf),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    if (to - from === chunkLength) return reply(this.#read(index, 0, chunkLength, null));
    // A block: copied out of the piece, read whole once into a reused buffer.
    reply(
      this.#piece(index, chunkLength).then((piece) => {
        const block = Buffer.allocUnsafe(to - from);
        piece.copy(block, 0, from, to);
        return block;
      }),
    );
  }

  /**
   * Piece `index`, read whole into a buffer of the read cache: a peer asks for the blocks of a
   * piece one after the other (16 KiB each), so they are read with one `pread` and copied out.
   * The cache's buffers are reused, never handed out: a seeder's memory stays flat. (webtorrent's
   * own cache keeps the pieces it reads for as long as any block of them is referenced, then the
   * garbage collector frees them late: hundreds of MB of RSS at 200 MB/s.)
   */
  #piece(index: number, chunkLength: number): Promise<Buffer> {
    const hit = this.#cache.get(index);
    if (hit) {
      this.#cache.delete(index); // most recently used last
      this.#cache.set(index, hit);
      return hit.piece;
    }
    while (this.#cache.size >= this.#cacheSlots) this.#evict(this.#cache.keys().next().value!);
    const buf = this.#spare.pop() ?? Buffer.allocUnsafe(this.chunkLength);
    const entry = { buf, piece: this.#read(index, 0, chunkLength, buf.subarray(0, chunkLength)) };
    this.#cache.set(index, entry);
    entry.piece.catch(() => this.#evict(index));
    return entry.piece;
  }

  /** Forget a cached piece; its buffer is reused once its read settled (waiters copied from it). */
  #evict(index: number): void {
    const entry = this.#cache.get(index);
    if (!entry) return;
    this.#cache.delete(index);
    const reuse = () => {
      if (!this.#closed) this.#spare.push(entry.buf);
    };
    entry.piece.then(reuse, reuse);
  }

  /** Bytes [from, to) of piece `index`, into `into` (or a new buffer). */
  #read(index: number, from: number, to: number, into: Buffer | null): Promise<Buffer> {
    const targets = this.#chunkMap[index]?.filter((t) => t.to > from && t.from < to);
    if (!targets || targets.length === 0)
      return Promise.reject(new Error('no files matching the requested range'));
    // Open first: verifying a download that has not started reads files that do not exist yet,
    // and a piece-sized buffer allocated for nothing is garbage to collect.
    return Promise.all(targets.map((t) => t.file.forRead())).then(async (fds) => {
      const buf = into ?? Buffer.allocUnsafe(to - from);
      await Promise.all(
        targets.map((t, i) => {
          const start = Math.max(t.from, from);
          const end = Math.min(t.to, to);
          const part = buf.subarray(start - from, end - from);
          return readAll(fds[i]!, part, t.offset + (start - t.from), t.file.path);
        }),
      );
      return buf;
    });
  }

  close(cb: Callback = noop): void {
    if (this.#closed) return later(cb, new Error('Storage is closed'));
    this.#closed = true;
    this.#cache.clear();
    this.#spare.length = 0;
    const files = this.files;
    all([Promise.allSettled([...this.#writing]).then(() => Promise.all(files.map((f) => f.close())))], cb);
  }

  /** Close and delete the torrent's files (webtorrent's `destroyStore`). */
  destroy(cb: Callback = noop): void {
    const files = this.files;
    // Never through a link: a file reached through one is left alone.
    const removeAll = () =>
      all(
        files.map((f) => unlinkConfined(this.#roots, f.path)),
        cb,
      );
    if (this.#closed) removeAll();
    else this.close(() => removeAll());
  }
}

function writeAll(fd: number, buf: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const next = (): void =>
      write(fd, buf, done, buf.length - done, position + done, (err, wrote) => {
        if (err) return reject(err);
        done += wrote;
        if (done < buf.length) next();
        else resolve();
      });
    next();
  });
}

function readAll(fd: number, buf: Uint8Array, position: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const next = (): void =>
      read(fd, buf, done, buf.length - done, position + done, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(new Error(`${file}: ends before byte ${position + buf.length}`));
        done += n;
        if (done < buf.length) next();
        else resolve();
      });
    if (buf.length === 0) resolve();
    else next();
  });
}

/** Call back once every promise settled well, or with the first error. */
function all(promises: Promise<unknown>[], cb: Callback): void {
  const settled = promises.length === 1 ? promises[0]! : Promise.all(promises);
  settled.then(
    () => cb(null),
    (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
  );
}

function later(cb: Callback<never>, err: Error): void {
  queueMicrotask(() => cb(err));
}

function noop(): void {}
