// SHA-1 of a contiguous range of pieces over the concatenation of a torrent's files: what a hash
// worker does (hash-worker.ts), and what the main thread does itself for a small torrent
// (piece-hasher.ts). Self-contained (node: imports only, erasable TypeScript) so that a worker
// loads it as .ts in unit tests and as .js from dist.
import { createHash, hash, type Hash } from 'node:crypto';
import { fstat, read } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { Chunk, HashFile, HashJob, HashResult } from './protocol.js';

/** How files are opened and closed: confined-open.ts's functions (passed in, see above). */
export interface FileAccess {
  openConfined(roots: readonly string[], file: string): Promise<number>;
  closeFd(fd: number): Promise<void>;
}

const promised = <T>(fn: (cb: (err: Error | null, value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

/**
 * The 20-byte hashes of pieces [job.firstPiece, job.endPiece), concatenated, and (with
 * `job.fileSha256`) the SHA-256 of each file whose bytes all lie in that range, fed from the
 * same buffers (each file's bytes to its own hash; no second read). Files are opened below
 * the share roots without following links (or refused) and must still have their size; reads
 * are sequential, `job.chunkBytes` at a time, the next chunk read while this one is hashed.
 * `onProgress` gets the bytes of each chunk hashed.
 */
export async function hashRange(
  job: HashJob,
  access: FileAccess,
  onProgress: (bytes: number) => void,
): Promise<HashResult> {
  /** Open descriptors of the files being read, closed as soon as the reader has passed them. */
  const handles = new Map<number, number>();
  let cursor = 0; // index of the file the reader is in (reads are sequential)

  const handle = async (index: number): Promise<number> => {
    let fd = handles.get(index);
    if (fd === undefined) {
      const file = job.files[index]!;
      const opened = await access.openConfined(job.roots, file.path);
      fd = opened;
      handles.set(index, opened);
      const { size } = await promised<{ size: number }>((cb) => fstat(opened, cb));
      if (size !== file.length)
        throw new Error(`${file.path} changed while hashing (size ${size}, expected ${file.length})`);
    }
    return fd;
  };

  const closeBefore = async (index: number): Promise<void> => {
    for (const [i, fd] of handles) {
      if (i < index) {
        handles.delete(i);
        await access.closeFd(fd);
      }
    }
  };

  /** Fill buf[0, length) with the bytes at `offset` of the concatenated files. */
  const readAt = async (buf: Buffer, length: number, offset: number): Promise<void> => {
    let done = 0;
    while (done < length) {
      const at = offset + done;
      while (cursor < job.files.length) {
        const f = job.files[cursor]!;
        if (at < f.offset + f.length) break;
        cursor++;
      }
      const file = job.files[cursor];
      if (!file) throw new Error('read past the end of the files');
      await closeBefore(cursor);
      const fd = await handle(cursor);
      const want = Math.min(length - done, file.offset + file.length - at);
      const bytesRead = await promised<number>((cb) => read(fd, buf, done, want, at - file.offset, cb));
      if (bytesRead === 0)
        throw new Error(`${file.path} changed while hashing (shorter than ${file.length} bytes)`);
      done += bytesRead;
    }
  };

  const { pieceLength, firstPiece, endPiece, totalLength } = job;
  const start = firstPiece * pieceLength;
  const end = Math.min(endPiece * pieceLength, totalLength);
  const piecesPerChunk = Math.max(1, Math.floor(job.chunkBytes / pieceLength));
  const chunk = piecesPerChunk * pieceLength;
  const out = new Uint8Array((endPiece - firstPiece) * 20);
  const port = job.fileSha256 ? job.sha256Port : undefined;
  const digests = job.fileSha256 && !port ? new FileDigests(job.files, start, end) : null;
  const handOff = port ? new HandOff(port, Math.min(chunk, end - start)) : null;
  try {
    // Two buffers: the next chunk is read (libuv thread pool) while this thread hashes the current one.
    // (Never from Buffer's shared pool: a buffer may be transferred to the SHA-256 thread.)
    const buffers = [
      Buffer.allocUnsafeSlow(Math.min(chunk, end - start)),
      Buffer.allocUnsafeSlow(Math.min(chunk, end - start)),
    ];
    let piece = 0;
    let which = 0;
    let offset = start;
    let pending = readAt(buffers[0]!, Math.min(chunk, end - offset), offset);
    while (offset < end) {
      const length = Math.min(chunk, end - offset);
      await pending;
      const slot = which;
      const current = buffers[slot]!;
      which ^= 1;
      const next = offset + length;
      if (next < end) pending = readAt(buffers[which]!, Math.min(chunk, end - next), next);
      for (let p = 0; p < length; p += pieceLength) {
        out.set(hash('sha1', current.subarray(p, Math.min(p + pieceLength, length)), 'buffer'), piece * 20);
        piece++;
      }
      digests?.update(current, offset, length);
      // Its SHA-256 on the other thread while this one goes on; a free buffer takes its place.
      if (handOff) buffers[slot] = await handOff.give(current, length, offset);
      offset = next;
      onProgress(length);
    }
  } finally {
    handOff?.close();
    await closeBefore(Number.POSITIVE_INFINITY);
  }
  return { pieces: out, fileSha256: digests?.digests() ?? job.files.map(() => null) };
}

/**
 * The SHA-256 of each of `files` whose bytes all lie in [start, end), fed that range's chunks in
 * order (a file cut by the range gets none). A chunk may span files: each file's bytes go to its
 * own hash.
 */
export class FileDigests {
  readonly #files: readonly HashFile[];
  readonly #hashes: (Hash | null)[];
  #first = 0; // the first file the next chunk may touch

  constructor(files: readonly HashFile[], start: number, end: number) {
    this.#files = files;
    this.#hashes = files.map((f) =>
      f.offset >= start && f.offset + f.length <= end ? createHash('sha256') : null,
    );
  }

  /** `bytes[0, length)` are the bytes at `offset` (the chunk after the previous one). */
  update(bytes: Uint8Array, offset: number, length: number): void {
    const next = offset + length;
    for (let i = this.#first; i < this.#files.length; i++) {
      const f = this.#files[i]!;
      if (f.offset >= next) break;
      const from = Math.max(f.offset, offset);
      const to = Math.min(f.offset + f.length, next);
      if (to > from) this.#hashes[i]?.update(bytes.subarray(from - offset, to - offset));
      if (f.offset + f.length <= next) this.#first = i + 1;
    }
  }

  /** Per file: its 32-byte digest, or null. */
  digests(): (Uint8Array | null)[] {
    return this.#hashes.map((h) => (h ? new Uint8Array(h.digest()) : null));
  }
}

/**
 * Chunks handed to the SHA-256 thread and their buffers taken back: `give` transfers a chunk and
 * resolves with a buffer to read into next (the spare one, or the next one the other thread
 * returns), so three buffers take turns and the reader waits whenever the SHA-256 thread is behind.
 */
class HandOff {
  readonly #port: MessagePort;
  readonly #spare: Buffer<ArrayBuffer>[];
  readonly #waiting: ((b: Buffer<ArrayBuffer>) => void)[] = [];

  constructor(port: MessagePort, size: number) {
    this.#port = port;
    this.#spare = [Buffer.allocUnsafeSlow(size)];
    port.on('message', (returned: ArrayBuffer) => {
      const buffer = Buffer.from(returned);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(buffer);
      else this.#spare.push(buffer);
    });
  }

  give(buffer: Buffer<ArrayBuffer>, length: number, offset: number): Promise<Buffer<ArrayBuffer>> {
    const arrayBuffer = buffer.buffer;
    this.#port.postMessage({ buffer: arrayBuffer, length, offset } satisfies Chunk, [arrayBuffer]);
    const spare = this.#spare.pop();
    return spare ? Promise.resolve(spare) : new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): void {
    this.#port.close();
  }
}
