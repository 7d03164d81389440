import { access, constants } from 'node:fs';
import path from 'node:path';
import FSChunkStore, { type OpenCallback, type StoreOptions } from 'fs-chunk-store';
import RandomAccessFile from 'random-access-file';

/** What `access(W_OK)` answers for a file we may read but not write. */
const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * webtorrent's file store (fs-chunk-store 5) silently drops `<>:"/\|?*` and control characters
 * from each file's own name. Sharing `Live: best?.flac` in place then serves nothing (the store
 * looks for `Live best.flac`), and a download lands under a name other clients (libtorrent) do
 * not use. On Linux these names are valid: this store keeps every file exactly at
 * `<save path>/<file path>`. File names are checked (sanitize.ts) before any file is opened: the
 * store opens files lazily, on the first read or write.
 *
 * fs-chunk-store also opens every file read-write, so a file we may only read (another user's,
 * or on a read-only mount such as docker compose's `/shares`) could be shared but served nothing:
 * every request was rejected. Such a file is opened read-only here.
 */
export class ExactNameStore extends FSChunkStore {
  constructor(chunkLength: number, opts: StoreOptions) {
    super(chunkLength, opts);
    const root = opts.path;
    if (!opts.files || root === undefined || opts.addUID) return;
    opts.files.forEach((f, i) => {
      const file = this.files[i];
      if (!file) return;
      file.path = path.resolve(root, f.path);
      file.open = readOnlyWhenNotWritable(file.path, file.open);
    });
  }
}

/** Wraps fs-chunk-store's (memoised) open: an existing file we cannot write opens read-only. */
function readOnlyWhenNotWritable(filePath: string, openWritable: (cb: OpenCallback) => void) {
  let opened: Promise<unknown> | undefined;
  return (cb: OpenCallback): void => {
    opened ??= new Promise<unknown>((resolve, reject) => {
      access(filePath, constants.W_OK, (err) => {
        if (err?.code && READ_ONLY.has(err.code))
          resolve(new RandomAccessFile(filePath, { writable: false }));
        else openWritable((e, file) => (e ? reject(e) : resolve(file)));
      });
    });
    opened.then(
      (file) => cb(null, file),
      (err: Error) => {
        opened = undefined; // like fs-chunk-store's thunky: try again next time
        cb(err);
      },
    );
  };
}
