import path from 'node:path';
import FSChunkStore, { type StoreOptions } from 'fs-chunk-store';

/**
 * webtorrent's file store (fs-chunk-store 5) silently drops `<>:"/\|?*` and control characters
 * from each file's own name. Sharing `Live: best?.flac` in place then serves nothing (the store
 * looks for `Live best.flac`), and a download lands under a name other clients (libtorrent) do
 * not use. On Linux these names are valid: this store keeps every file exactly at
 * `<save path>/<file path>`. File names are checked (sanitize.ts) before any file is opened: the
 * store opens files lazily, on the first read or write.
 */
export class ExactNameStore extends FSChunkStore {
  constructor(chunkLength: number, opts: StoreOptions) {
    super(chunkLength, opts);
    const root = opts.path;
    if (!opts.files || root === undefined || opts.addUID) return;
    opts.files.forEach((f, i) => {
      const file = this.files[i];
      if (file) file.path = path.resolve(root, f.path);
    });
  }
}
