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
}

/** What a job found: its pieces' hashes and (when asked) the files' SHA-256s. */
export interface HashResult {
  /** 20 bytes of SHA-1 per piece of the job's range. */
  pieces: Uint8Array<ArrayBuffer>;
  /** Per file of the job (same order): its 32-byte SHA-256, or null when not asked or not all in the range. */
  fileSha256: (Uint8Array | null)[];
}

export type WorkerMessage = { type: 'progress'; bytes: number } | ({ type: 'done' } & HashResult);
