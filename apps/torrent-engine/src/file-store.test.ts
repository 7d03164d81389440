import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from './file-store.js';

const put = (s: FileStore, index: number, buf: Uint8Array) =>
  new Promise<void>((resolve, reject) => s.put(index, buf, (err) => (err ? reject(err) : resolve())));
const get = (s: FileStore, index: number, opts?: { offset?: number; length?: number }) =>
  new Promise<Buffer>((resolve, reject) =>
    s.get(index, opts ?? null, (err, buf) => (err ? reject(err) : resolve(buf!))),
  );
const close = (s: FileStore) =>
  new Promise<void>((resolve, reject) => s.close((e) => (e ? reject(e) : resolve())));
const destroy = (s: FileStore) =>
  new Promise<void>((resolve, reject) => s.destroy((e) => (e ? reject(e) : resolve())));
/** A plain loop: `Uint8Array.from` with a mapping function takes seconds for 16 MiB on a busy machine. */
const bytes = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
};

describe('FileStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'file-store-')));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes pieces across file boundaries at their exact names and reads any range back', async () => {
    // Pieces of 8 bytes over files of 5, 0, 6 and 3 bytes: piece 0 spans a.txt and b, piece 1 b and c.
    const files = [
      { path: 'Live: best?.flac', length: 5 },
      { path: 'sub/empty', length: 0 },
      { path: 'sub/b<>|*.bin', length: 6 },
      { path: 'c', length: 3 },
    ];
    const store = new FileStore(8, { path: dir, roots: [dir], files, length: 14 });
    const all = bytes(14, 3);
    await put(store, 1, all.subarray(8));
    await put(store, 0, all.subarray(0, 8));
    expect(new Uint8Array(await readFile(path.join(dir, 'Live: best?.flac')))).toEqual(all.subarray(0, 5));
    expect(new Uint8Array(await readFile(path.join(dir, 'sub/b<>|*.bin')))).toEqual(all.subarray(5, 11));
    expect(new Uint8Array(await readFile(path.join(dir, 'c')))).toEqual(all.subarray(11));

    expect(new Uint8Array(await get(store, 0))).toEqual(all.subarray(0, 8));
    expect(new Uint8Array(await get(store, 1))).toEqual(all.subarray(8));
    expect(new Uint8Array(await get(store, 0, { offset: 3, length: 4 }))).toEqual(all.subarray(3, 7));
    expect(new Uint8Array(await get(store, 1, { offset: 2, length: 2 }))).toEqual(all.subarray(10, 12));
    // A block read is a Buffer: slicing it (webtorrent's piece cache) makes views, not copies.
    expect(Buffer.isBuffer(await get(store, 0))).toBe(true);
    await close(store);
  });

  it('serves files that exist without writing to them, and fails on missing data', async () => {
    const data = bytes(10, 9);
    await writeFile(path.join(dir, 'shared.bin'), data);
    const before = await stat(path.join(dir, 'shared.bin'));
    const store = new FileStore(4, { path: dir, roots: [dir], files: [{ path: 'shared.bin', length: 10 }] });
    expect(new Uint8Array(await get(store, 2))).toEqual(data.subarray(8));
    expect((await stat(path.join(dir, 'shared.bin'))).mtimeMs).toBe(before.mtimeMs);
    await close(store);

    const missing = new FileStore(4, {
      path: dir,
      roots: [dir],
      files: [{ path: 'not-yet.bin', length: 10 }],
    });
    await expect(get(missing, 0)).rejects.toThrow(/ENOENT/);
    await writeFile(path.join(dir, 'not-yet.bin'), data.subarray(0, 6));
    await expect(get(missing, 1)).rejects.toThrow(/ends before byte/);
    await close(missing);
  });

  it('serves blocks from a read cache of reused buffers: copies, dropped when a piece is written', async () => {
    const store = new FileStore(8, { path: dir, roots: [dir], files: [{ path: 'p.bin', length: 40 }] });
    const data = bytes(40, 1);
    for (let i = 0; i < 5; i++) await put(store, i, data.subarray(i * 8, i * 8 + 8));
    // Read blocks of every piece, more pieces than the cache holds, twice over.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5; i++) {
        const block = await get(store, i, { offset: 2, length: 4 });
        expect(new Uint8Array(block)).toEqual(data.subarray(i * 8 + 2, i * 8 + 6));
        block.fill(0); // a copy: the cache is not changed
      }
    }
    const again = bytes(8, 99);
    await put(store, 1, again);
    expect(new Uint8Array(await get(store, 1, { offset: 0, length: 4 }))).toEqual(again.subarray(0, 4));
    await close(store);
  });

  it('refuses wrong chunk lengths and use after close; destroy deletes the files', async () => {
    const store = new FileStore(4, { path: dir, roots: [dir], files: [{ path: 'x/y.bin', length: 6 }] });
    await expect(put(store, 0, bytes(3, 0))).rejects.toThrow(/must be 4 bytes/);
    await expect(put(store, 1, bytes(4, 0))).rejects.toThrow(/must be 2 bytes/);
    await expect(get(store, 0, { offset: 2, length: 4 })).rejects.toThrow(/Invalid offset/);
    await put(store, 1, bytes(2, 0));
    await destroy(store);
    await expect(stat(path.join(dir, 'x/y.bin'))).rejects.toThrow(/ENOENT/);
    await expect(get(store, 1)).rejects.toThrow(/closed/);
  });

  it('closes only after the writes under way are done (a torrent removed mid-download)', async () => {
    // 16 pieces of 1 MiB written, and the store closed in the same tick: had close() closed the
    // descriptors at once, the writes would fail (EBADF) or land in a file opened meanwhile.
    const size = 1024 * 1024;
    const store = new FileStore(size, {
      path: dir,
      roots: [dir],
      files: [{ path: 'big.bin', length: 16 * size }],
    });
    const order: string[] = [];
    const writes = Array.from({ length: 16 }, (_, i) =>
      put(store, i, bytes(size, i)).then(() => order.push(`put ${i}`)),
    );
    const closed = close(store).then(() => order.push('close'));
    await Promise.all([...writes, closed]);
    expect(order.at(-1)).toBe('close');
    const data = await readFile(path.join(dir, 'big.bin'));
    for (const i of [0, 7, 15])
      expect(Buffer.compare(data.subarray(i * size, (i + 1) * size), bytes(size, i)), `piece ${i}`).toBe(0);
  });

  describe('below the share roots only', () => {
    /** The share root is `<dir>/root`; `<dir>/outside` holds a secret. */
    let root: string;
    let outside: string;
    beforeEach(async () => {
      root = path.join(dir, 'root');
      outside = path.join(dir, 'outside');
      await mkdir(path.join(root, 'share'), { recursive: true });
      await mkdir(outside);
      await writeFile(path.join(outside, 'secret'), 'SECRET!!!!');
    });
    /** A torrent as webtorrent passes it: a refused open fails it with the error. */
    const torrentWatch = () => {
      const failed: Error[] = [];
      return { failed, torrent: { destroyed: false, _destroy: (err: Error) => failed.push(err) } };
    };

    it('refuses to serve a shared file swapped for a link, and fails the torrent', async () => {
      const file = path.join(root, 'share', 'a.bin');
      await writeFile(file, 'aaaaaaaaaa');
      const { failed, torrent } = torrentWatch();
      const store = new FileStore(4, {
        path: path.join(root, 'share'),
        roots: [root],
        files: [{ path: 'a.bin', length: 10 }],
        torrent,
      });
      // Swapped between sharing and the first request.
      await rm(file);
      await symlink(path.join(outside, 'secret'), file);
      await expect(get(store, 0)).rejects.toMatchObject({ code: 'EREFUSEDPATH' });
      await expect(get(store, 1, { offset: 0, length: 2 })).rejects.toThrow(/symbolic link/);
      await new Promise((r) => setImmediate(r));
      expect(failed[0]?.message).toMatch(/a\.bin is a symbolic link/);
      await close(store);
    });

    it('refuses to serve from outside the roots, also through a linked folder', async () => {
      await symlink(outside, path.join(root, 'share', 'etc'));
      const { failed, torrent } = torrentWatch();
      const viaLink = new FileStore(4, {
        path: path.join(root, 'share'),
        roots: [root],
        files: [{ path: 'etc/secret', length: 10 }],
        torrent,
      });
      await expect(get(viaLink, 0)).rejects.toMatchObject({ code: 'EREFUSEDPATH' });
      await close(viaLink);
      const elsewhere = new FileStore(4, {
        path: outside,
        roots: [root],
        files: [{ path: 'secret', length: 10 }],
      });
      await expect(get(elsewhere, 0)).rejects.toThrow(/outside the share roots/);
      await close(elsewhere);
      await new Promise((r) => setImmediate(r));
      expect(failed).toHaveLength(1);
    });

    it('writes nothing through a link in the download folder; destroy deletes nothing through one', async () => {
      await symlink(outside, path.join(root, 'share', 'album'));
      const { failed, torrent } = torrentWatch();
      const store = new FileStore(4, {
        path: path.join(root, 'share'),
        roots: [root],
        files: [
          { path: 'album/new/track', length: 4 },
          { path: 'album/secret', length: 4 },
        ],
        torrent,
      });
      await expect(put(store, 0, bytes(4, 1))).rejects.toMatchObject({ code: 'EREFUSEDPATH' });
      await expect(put(store, 1, bytes(4, 2))).rejects.toMatchObject({ code: 'EREFUSEDPATH' });
      await destroy(store);
      expect(await readdir(outside)).toEqual(['secret']);
      expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('SECRET!!!!');
      expect(failed.length).toBeGreaterThan(0);
    });

    it('needs the share roots', () => {
      expect(() => new FileStore(4, { path: root, files: [{ path: 'x', length: 1 }] })).toThrow(
        /share roots/,
      );
    });
  });
});
