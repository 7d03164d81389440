import type { MessagePort } from 'node:worker_threads';

/** One file of a torrent, in torrent order, with its offset in the concatenation of all files. */
export interface HashFile {
  path: string;
  length: number;
  offset: number;
}

/** What a hash worker gets: pieces [firstPiece, endPiece) of the files' concatenation. */
export interface HashJob {
  files: HashFile[];
  /** Real paths of the share roots: files are opened below them only, never through a link. */
  roots: readonly string[];
  pieceLength: number;
  totalLength: number;
  firstPiece: number;
  endPiece: number;
  /** Bytes read at once (rounded down to whole pieces, at least one). */
  chunkBytes: number;
  /** Also the SHA-256 of each file whose every byte lies in the job's range, from the same reads. */
  fileSha256?: boolean;
  /**
   * With `fileSha256`: a port to a SHA-256 thread (sha256-worker.ts). Each chunk read is handed to
   * it (transferred, not copied) once its pieces are hashed, and comes back to be read into again:
   * the two hashes of a chunk run on two threads, over one read.
   */
  sha256Port?: MessagePort;
}

/** What a SHA-256 worker gets: the files, and the byte range whose chunks come through `port`. */
export interface Sha256Job {
  files: HashFile[];
  start: number;
  end: number;
  port: MessagePort;
}

/** A chunk handed between the threads: `buffer`'s first `length` bytes are those at `offset`. */
export interface Chunk {
  buffer: ArrayBuffer;
  length: number;
  offset: number;
}

/** What a job found: its pieces' hashes and (when asked) the files' SHA-256s. */
export interface HashResult {
  /** 20 bytes of SHA-1 per piece of the job's range. */
  pieces: Uint8Array<ArrayBuffer>;
  /** Per file of the job (same order): its 32-byte SHA-256, or null when not asked or not all in the range. */
  fileSha256: (Uint8Array | null)[];
}

export type WorkerMessage =
  | { type: 'progress'; bytes: number }
  | ({ type: 'done' } & HashResult)
  /** From a SHA-256 worker: per file of its job, the 32-byte digest (null: not all in its range). */
  | { type: 'digests'; fileSha256: (Uint8Array | null)[] };
