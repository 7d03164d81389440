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
}

export type WorkerMessage =
  | { type: 'progress'; bytes: number }
  /** 20 bytes of SHA-1 per piece of the job's range. */
  | { type: 'done'; pieces: Uint8Array };
