import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type Transferable } from 'node:worker_threads';
import { closeFd, openConfined } from '../confined-open.js';
import { hashRange } from './hash-range.js';
import type { HashFile, HashJob, HashResult, Sha256Job, WorkerMessage } from './protocol.js';

export interface HashOptions {
  /**
   * The real paths of the share roots (resolveShareRoots): every file is opened below one of
   * them without following symbolic links (confined-open.ts), or hashing fails.
   */
  roots: readonly string[];
  /**
   * Worker threads sharing the pieces (each also keeps a read in flight); default 2 (1 on a
   * single core). Measured here on 2 cores for 1 GiB: 1 thread ≈ 1.1–1.6 GB/s, 2 ≈ 1.7–2.0 GB/s.
   */
  threads?: number;
  /** Bytes read at once per worker; default 8 MiB. */
  chunkBytes?: number;
  /**
   * Torrents of at most this many bytes are hashed on the calling thread (reads still off it):
   * starting a worker thread costs ~75 ms of CPU, hashing 1 MiB ~2 ms. Default 1 MiB; 0: always
   * in workers.
   */
  inlineMaxBytes?: number;
  /**
   * Also the SHA-256 of every file, from the same reads. A file's SHA-256 runs over its bytes in
   * order, so the pieces are then hashed by one thread (SHA-1 and SHA-256 of each chunk there)
   * instead of `threads`.
   */
  fileSha256?: boolean;
  /** Hashed bytes so far, and the total; called from the main thread as workers report. */
  onProgress?: (hashed: number, total: number) => void;
  signal?: AbortSignal;
}

const DEFAULT_THREADS = Math.min(2, availableParallelism());
const DEFAULT_INLINE_MAX_BYTES = 1024 * 1024;

// Node runs the worker from source (type stripping) under vitest, and from dist in production.
const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js',
  import.meta.url,
);
const sha256WorkerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './sha256-worker.ts' : './sha256-worker.js',
  import.meta.url,
);

/**
 * SHA-1 of every piece of the concatenation of `files` (in order), computed in worker threads
 * so the main thread keeps serving peers (a torrent of at most `inlineMaxBytes`: on the calling
 * thread). Returns the 20-byte hashes, concatenated.
 */
export async function hashPieces(
  files: readonly { path: string; length: number }[],
  pieceLength: number,
  opts: HashOptions,
): Promise<Uint8Array> {
  return (await hashFiles(files, pieceLength, opts)).pieces;
}

/**
 * `hashPieces`, and with `opts.fileSha256` each file's 32-byte SHA-256 (`fileSha256`, in the
 * order of `files`; null for every file without it).
 */
export async function hashFiles(
  files: readonly { path: string; length: number }[],
  pieceLength: number,
  opts: HashOptions,
): Promise<HashResult> {
  if (!Number.isInteger(pieceLength) || pieceLength <= 0)
    throw new Error('piece length must be a positive integer');
  const laidOut: HashFile[] = [];
  let totalLength = 0;
  for (const f of files) {
    laidOut.push({ path: f.path, length: f.length, offset: totalLength });
    totalLength += f.length;
  }
  const pieceCount = Math.ceil(totalLength / pieceLength);
  const out = new Uint8Array(pieceCount * 20);
  // Per file of `files`; an empty file's digest needs no read.
  const sha256: (Uint8Array | null)[] = files.map((f) =>
    opts.fileSha256 && f.length === 0 ? new Uint8Array(createHash('sha256').digest()) : null,
  );
  const indexOf = new Map(laidOut.map((f, i) => [f, i]));
  const running256: Promise<void>[] = [];
  /** A job's result, put in place: its pieces at its first piece, its files' digests at theirs. */
  const place = (job: HashJob, result: HashResult) => {
    if (result.pieces.length > 0) out.set(result.pieces, job.firstPiece * 20);
    result.fileSha256.forEach((digest, i) => {
      const at = indexOf.get(job.files[i]!);
      if (digest && at !== undefined) sha256[at] = digest;
    });
  };
  if (pieceCount === 0) return { pieces: out, fileSha256: sha256 };
  opts.signal?.throwIfAborted();
  const chunkBytes = opts.chunkBytes ?? 8 * 1024 * 1024;
  if (totalLength <= (opts.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES)) {
    // The work of one worker, done here: the same reads, refusals and hashes.
    const job: HashJob = {
      files: laidOut.filter((f) => f.length > 0),
      roots: opts.roots,
      pieceLength,
      totalLength,
      firstPiece: 0,
      endPiece: pieceCount,
      chunkBytes,
      fileSha256: opts.fileSha256 === true,
    };
    let hashed = 0;
    const result = await hashRange(job, { openConfined, closeFd }, (bytes) => {
      hashed += bytes;
      opts.onProgress?.(hashed, totalLength);
    });
    opts.signal?.throwIfAborted();
    place(job, result);
    return { pieces: out, fileSha256: sha256 };
  }

  // A file's SHA-256 runs over its bytes in order: one reader for the whole range, which hands
  // each chunk to a SHA-256 thread (or, on one core, hashes both itself).
  const shaThread = opts.fileSha256 === true && (opts.threads ?? DEFAULT_THREADS) >= 2;
  const threads = opts.fileSha256 ? 1 : Math.max(1, Math.min(opts.threads ?? DEFAULT_THREADS, pieceCount));
  const perWorker = Math.ceil(pieceCount / threads);
  // Only the files a worker's range touches are sent to it.
  const jobs: HashJob[] = [];
  for (let first = 0; first < pieceCount; first += perWorker) {
    const end = Math.min(pieceCount, first + perWorker);
    const from = first * pieceLength;
    const to = Math.min(end * pieceLength, totalLength);
    jobs.push({
      files: laidOut.filter((f) => f.length > 0 && f.offset < to && f.offset + f.length > from),
      roots: opts.roots,
      pieceLength,
      totalLength,
      firstPiece: first,
      endPiece: end,
      chunkBytes,
      fileSha256: opts.fileSha256 === true,
    });
  }

  let hashed = 0;
  const workers: Worker[] = [];
  const stopWorkers = () => {
    for (const w of workers) void w.terminate();
  };
  /** Runs a worker until its last message (`onMessage` returns true); fails with it. */
  const run = (
    url: URL,
    data: object,
    transfer: Transferable[],
    onMessage: (msg: WorkerMessage) => boolean,
  ) =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(url, { workerData: data, transferList: transfer });
      workers.push(worker);
      let finished = false;
      worker.on('message', (msg: WorkerMessage) => {
        if (onMessage(msg)) {
          finished = true;
          resolve();
        }
      });
      worker.once('error', (err: unknown) => {
        stopWorkers();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
      worker.once('exit', (code) => {
        if (!finished) reject(new Error(`hash worker exited with code ${code} before finishing`));
      });
    });
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      stopWorkers();
      const reason: unknown = opts.signal?.reason;
      reject(reason instanceof Error ? reason : new Error('hashing aborted'));
    };
  });
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const running = jobs.map((job) => {
      const transfer: Transferable[] = [];
      if (shaThread) {
        const { port1, port2 } = new MessageChannel();
        job.sha256Port = port1;
        transfer.push(port1);
        const shaJob: Sha256Job = { files: job.files, start: 0, end: totalLength, port: port2 };
        running256.push(
          run(sha256WorkerUrl, shaJob, [port2], (msg) => {
            if (msg.type !== 'digests') return false;
            place(job, { pieces: new Uint8Array(0), fileSha256: msg.fileSha256 });
            return true;
          }),
        );
      }
      return run(workerUrl, job, transfer, (msg) => {
        if (msg.type === 'progress') {
          hashed += msg.bytes;
          opts.onProgress?.(hashed, totalLength);
          return false;
        }
        if (msg.type !== 'done') return false;
        place(job, msg);
        return true;
      });
    });
    await Promise.race([Promise.all([...running, ...running256]), aborted]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return { pieces: out, fileSha256: sha256 };
}
