import { listSourceFiles, type SourceLayout } from './list-files.js';
import { encodeMetainfo, type Metainfo } from './metainfo.js';
import { hashFiles, type HashOptions } from './piece-hasher.js';

export interface CreateOptions extends HashOptions {
  /** Piece length for the total size in bytes. */
  pieceLength: (totalBytes: number) => number;
  /** Told (at info) what a shared folder left out: symbolic links and special files. */
  log?: { info(obj: object, msg: string): void };
  createdBy?: string;
  announceList?: string[][];
}

export interface CreatedTorrent extends Metainfo {
  layout: SourceLayout;
  pieceLength: number;
  /**
   * A single-file torrent's SHA-256 of its file (base64), computed from the reads that hashed
   * the pieces. Absent for a folder: XEP-0446 metadata describes one file, and a share is one
   * `<file/>` (so its files' digests would have nowhere to go and are not computed).
   */
  sha256?: string;
}

/**
 * Create a torrent of a file or folder, hashing in worker threads. Same info-hash as
 * create-torrent for the same input and piece length (when it holds no symbolic links, which
 * are left out here), at 3-4× its speed.
 */
export async function createTorrentFile(
  input: string,
  opts: Omit<CreateOptions, 'fileSha256'>,
): Promise<CreatedTorrent> {
  const layout = await listSourceFiles(input);
  if (layout.skipped.length > 0) {
    opts.log?.info(
      {
        path: input,
        count: layout.skipped.length,
        symlinks: layout.skipped.filter((s) => s.kind === 'symlink').length,
        skipped: layout.skipped.slice(0, 20).map((s) => s.abs),
      },
      'not shared: symbolic links and special files in the folder (links are never followed)',
    );
  }
  if (layout.files.length === 0) throw new Error(`${input} has no files to share`);
  if (layout.length === 0) throw new Error(`${input} is empty (0 bytes)`);
  const pieceLength = opts.pieceLength(layout.length);
  const { pieces, fileSha256 } = await hashFiles(
    layout.files.map((f) => ({ path: f.abs, length: f.length })),
    pieceLength,
    { ...opts, fileSha256: layout.single },
  );
  const digest = layout.single ? fileSha256[0] : null;
  const metainfo = encodeMetainfo({
    name: layout.name,
    pieceLength,
    pieces,
    layout: layout.single ? { length: layout.length } : { files: layout.files },
    createdBy: opts.createdBy,
    announceList: opts.announceList,
  });
  return {
    ...metainfo,
    layout,
    pieceLength,
    ...(digest ? { sha256: Buffer.from(digest).toString('base64') } : {}),
  };
}
