import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import createTorrent from 'create-torrent';
import parseTorrent from 'parse-torrent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTorrentFile } from './create-torrent-file.js';
import { hashPieces } from './piece-hasher.js';

const KiB = 1024;
const reference = promisify(createTorrent);

async function referenceHash(input: string, pieceLength: number): Promise<string> {
  const file = await reference(input, { announceList: [], urlList: [], pieceLength, createdBy: 'x' });
  return (await parseTorrent(file)).infoHash;
}

describe('createTorrentFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'hashing-')));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const write = async (rel: string, bytes: number) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), randomBytes(bytes));
  };

  it('gives a single file the same info-hash as create-torrent', async () => {
    await write('single/movie.mkv', 3 * 256 * KiB + 12_345); // last piece partial
    const input = path.join(dir, 'single/movie.mkv');
    const ours = await createTorrentFile(input, {
      pieceLength: () => 256 * KiB,
      createdBy: 'bitween',
      roots: [dir],
    });
    expect(ours.infoHash).toBe(await referenceHash(input, 256 * KiB));
    const parsed = await parseTorrent(ours.torrentFile);
    expect(parsed).toMatchObject({
      infoHash: ours.infoHash,
      name: 'movie.mkv',
      length: 3 * 256 * KiB + 12_345,
    });
    expect(ours.layout.single).toBe(true);
  });

  it('gives a folder the same info-hash and file order as create-torrent', async () => {
    // Pieces span file boundaries; hidden, junk and empty files; byte order ("B" < "a" < "é").
    await write('album/b.flac', 300 * KiB);
    await write('album/B.flac', 100 * KiB + 7);
    await write('album/é.txt', 5);
    await write('album/empty', 0);
    await write('album/disc 2/01.flac', 700 * KiB + 1);
    await write('album/disc 2/.hidden', 10);
    await write('album/Thumbs.db', 10);
    await write('album/notes.txt~', 10);
    await write('album/.git/config', 10);
    await symlink(path.join(dir, 'album'), path.join(dir, 'album/disc 2/loop'));
    const input = path.join(dir, 'album');
    const ours = await createTorrentFile(input, {
      pieceLength: () => 256 * KiB,
      chunkBytes: 1,
      roots: [dir],
    });
    expect(ours.infoHash).toBe(await referenceHashWithoutLoop(input));
    expect(ours.layout.files.map((f) => f.path.join('/'))).toEqual([
      'B.flac',
      'b.flac',
      'disc 2/01.flac',
      'empty',
      'é.txt',
    ]);
    const parsed = await parseTorrent(ours.torrentFile);
    expect(parsed.files?.map((f) => f.path)).toEqual(
      ours.layout.files.map((f) => ['album', ...f.path].join('/')),
    );
  });

  // create-torrent would follow the link back into the album forever: compare without it.
  async function referenceHashWithoutLoop(input: string): Promise<string> {
    await rm(path.join(input, 'disc 2/loop'));
    try {
      return await referenceHash(input, 256 * KiB);
    } finally {
      await symlink(input, path.join(input, 'disc 2/loop'));
    }
  }

  it('gives the same pieces with several workers and any read size', async () => {
    await write('multi/a.bin', 5 * 256 * KiB + 1);
    await write('multi/b.bin', 3 * 256 * KiB - 1);
    const input = path.join(dir, 'multi');
    const expected = await referenceHash(input, 256 * KiB);
    for (const opts of [{ threads: 3 }, { threads: 2, chunkBytes: 512 * KiB }, { chunkBytes: 64 * MiB }]) {
      const ours = await createTorrentFile(input, { pieceLength: () => 256 * KiB, roots: [dir], ...opts });
      expect(ours.infoHash, JSON.stringify(opts)).toBe(expected);
    }
  });

  it('hashes a small torrent on the calling thread with the pieces the workers give', async () => {
    // Under the 1 MiB inline limit, pieces spanning a file boundary and a partial last piece.
    await write('small/a.bin', 40 * KiB + 3);
    await write('small/b.bin', 20 * KiB);
    const files = [
      { path: path.join(dir, 'small/a.bin'), length: 40 * KiB + 3 },
      { path: path.join(dir, 'small/b.bin'), length: 20 * KiB },
    ];
    const progress: number[] = [];
    const inline = await hashPieces(files, 16 * KiB, {
      roots: [dir],
      onProgress: (hashed) => progress.push(hashed),
    });
    expect(inline).toEqual(await hashPieces(files, 16 * KiB, { roots: [dir], inlineMaxBytes: 0 }));
    expect(progress).toEqual([60 * KiB + 3]);
    expect(
      (await createTorrentFile(path.join(dir, 'small'), { pieceLength: () => 16 * KiB, roots: [dir] }))
        .infoHash,
    ).toBe(await referenceHash(path.join(dir, 'small'), 16 * KiB));
  });

  it('reports progress up to the total', async () => {
    await write('progress.bin', 2 * MiB + 3);
    const seen: number[] = [];
    await createTorrentFile(path.join(dir, 'progress.bin'), {
      roots: [dir],
      pieceLength: () => 256 * KiB,
      chunkBytes: 512 * KiB,
      onProgress: (hashed, total) => {
        expect(total).toBe(2 * MiB + 3);
        seen.push(hashed);
      },
    });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe(2 * MiB + 3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('refuses empty input with a clear error', async () => {
    await mkdir(path.join(dir, 'nothing/.only-hidden'), { recursive: true });
    await expect(
      createTorrentFile(path.join(dir, 'nothing'), { pieceLength: () => 256 * KiB, roots: [dir] }),
    ).rejects.toThrow(/no files to share/);
    await write('zero.bin', 0);
    await expect(
      createTorrentFile(path.join(dir, 'zero.bin'), { pieceLength: () => 256 * KiB, roots: [dir] }),
    ).rejects.toThrow(/is empty/);
  });

  it('fails when a file changed between listing and hashing', async () => {
    await write('changed.bin', 100 * KiB);
    const file = path.join(dir, 'changed.bin');
    for (const inlineMaxBytes of [undefined, 0]) {
      await expect(
        hashPieces([{ path: file, length: 200 * KiB }], 256 * KiB, { roots: [dir], inlineMaxBytes }),
      ).rejects.toThrow(/changed while hashing/);
    }
  });

  it('leaves symbolic links out of a shared folder, wherever they point, and says which', async () => {
    await write('outside/secret', 1000);
    await write('links/real.bin', 1000);
    await mkdir(path.join(dir, 'links/sub'), { recursive: true });
    await symlink(path.join(dir, 'outside/secret'), path.join(dir, 'links/passwd'));
    await symlink(path.join(dir, 'outside'), path.join(dir, 'links/sub/etc'));
    await symlink(path.join(dir, 'links/real.bin'), path.join(dir, 'links/inside.bin'));
    const logged: object[] = [];
    const ours = await createTorrentFile(path.join(dir, 'links'), {
      pieceLength: () => 256 * KiB,
      roots: [path.join(dir, 'links')],
      log: { info: (obj) => logged.push(obj) },
    });
    expect(ours.layout.files.map((f) => f.path.join('/'))).toEqual(['real.bin']);
    expect(ours.layout.skipped.map((s) => path.relative(dir, s.abs)).sort()).toEqual([
      'links/inside.bin',
      'links/passwd',
      'links/sub/etc',
    ]);
    expect(logged).toEqual([expect.objectContaining({ count: 3, symlinks: 3 })]);
  });

  it('fails the hashing when a file was swapped for a link after it was listed', async () => {
    await write('swap/a.bin', 1000);
    await write('outside/same-size', 1000);
    const file = path.join(dir, 'swap/a.bin');
    await rm(file);
    await symlink(path.join(dir, 'outside/same-size'), file);
    // On the calling thread (small) and in a worker: the same refusals.
    for (const inlineMaxBytes of [undefined, 0]) {
      await expect(
        hashPieces([{ path: file, length: 1000 }], 256 * KiB, {
          roots: [path.join(dir, 'swap')],
          inlineMaxBytes,
        }),
      ).rejects.toThrow(/a\.bin is a symbolic link/);
      // Outside the roots altogether: refused too.
      await expect(
        hashPieces([{ path: path.join(dir, 'outside/same-size'), length: 1000 }], 256 * KiB, {
          roots: [path.join(dir, 'swap')],
          inlineMaxBytes,
        }),
      ).rejects.toThrow(/outside the share roots/);
    }
  });

  it('stops the workers when aborted', async () => {
    await write('abort.bin', 4 * MiB);
    const controller = new AbortController();
    const hashing = hashPieces([{ path: path.join(dir, 'abort.bin'), length: 4 * MiB }], 256 * KiB, {
      roots: [dir],
      chunkBytes: 256 * KiB,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stopped by the test')),
    });
    await expect(hashing).rejects.toThrow(/stopped by the test/);
  });
});

const MiB = 1024 * KiB;
