import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTorrentFile } from './create-torrent-file.js';
import { hashFiles, hashPieces } from './piece-hasher.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PIECE = 256 * KiB;

/** What coreutils' `sha256sum` says of a file, in base64 (as the engine keeps it). */
async function sha256sum(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)('sha256sum', ['--binary', file]);
  return Buffer.from(stdout.slice(0, 64), 'hex').toString('base64');
}

const base64 = (digest: Uint8Array | null | undefined) =>
  digest ? Buffer.from(digest).toString('base64') : digest;

describe('whole-file SHA-256 from the reads that hash the pieces', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'file-sha256-')));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const write = async (rel: string, bytes: number) => {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(bytes));
    return file;
  };

  it('gives a single file spanning several pieces its sha256sum, in a worker, whatever the read size', async () => {
    const file = await write('several.bin', 5 * MiB + 12_345); // > 1 MiB: worker; last piece partial
    const expected = await sha256sum(file);
    for (const opts of [{}, { chunkBytes: PIECE }, { chunkBytes: 3 * PIECE, threads: 1 }]) {
      const created = await createTorrentFile(file, { pieceLength: () => PIECE, roots: [dir], ...opts });
      expect(created.sha256, JSON.stringify(opts)).toBe(expected);
    }
    // The pieces are those of the hashing without the digest (several workers).
    const files = [{ path: file, length: 5 * MiB + 12_345 }];
    const both = await hashFiles(files, PIECE, { roots: [dir], fileSha256: true });
    expect(both.pieces).toEqual(await hashPieces(files, PIECE, { roots: [dir], threads: 2 }));
  });

  it('gives a file ending exactly on a piece boundary its sha256sum, on either path', async () => {
    for (const [name, bytes] of [
      ['boundary-inline.bin', 4 * PIECE], // exactly 1 MiB: the calling thread
      ['boundary-worker.bin', 12 * PIECE],
    ] as const) {
      const file = await write(name, bytes);
      const created = await createTorrentFile(file, {
        pieceLength: () => PIECE,
        roots: [dir],
        chunkBytes: 2 * PIECE,
      });
      expect(created.sha256, name).toBe(await sha256sum(file));
    }
  });

  it('gives a small file its sha256sum on the calling thread and in a worker alike', async () => {
    for (const bytes of [1, 1000, 16 * KiB + 1]) {
      const file = await write(`small-${bytes}.bin`, bytes);
      const expected = await sha256sum(file);
      for (const inlineMaxBytes of [undefined, 0]) {
        const created = await createTorrentFile(file, {
          pieceLength: () => 16 * KiB,
          roots: [dir],
          ...(inlineMaxBytes === undefined ? {} : { inlineMaxBytes }),
        });
        expect(created.sha256, `${bytes} bytes, inline limit ${inlineMaxBytes}`).toBe(expected);
      }
    }
  });

  it('stops both threads when aborted while hashing a file and its SHA-256', async () => {
    const file = await write('abort.bin', 4 * MiB);
    const controller = new AbortController();
    const hashing = hashFiles([{ path: file, length: 4 * MiB }], PIECE, {
      roots: [dir],
      threads: 2,
      fileSha256: true,
      chunkBytes: PIECE,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stopped by the test')),
    });
    await expect(hashing).rejects.toThrow(/stopped by the test/);
  });

  it('gives a folder no share-level digest (one XEP-0446 <file/> cannot describe several files)', async () => {
    await write('folder/a.bin', 300 * KiB);
    await write('folder/b.bin', 2 * MiB);
    const created = await createTorrentFile(path.join(dir, 'folder'), {
      pieceLength: () => PIECE,
      roots: [dir],
    });
    expect(created.sha256).toBeUndefined();
  });

  it('gives each file of several its own digest when asked, pieces spanning the boundaries', async () => {
    const files = [
      { path: await write('many/a.bin', PIECE + 7), length: PIECE + 7 },
      { path: path.join(dir, 'many/empty.bin'), length: 0 },
      { path: await write('many/b.bin', 10), length: 10 }, // inside one piece with a and c
      { path: await write('many/c.bin', 3 * PIECE - 17), length: 3 * PIECE - 17 },
    ];
    await writeFile(files[1]!.path, '');
    const expected = await Promise.all(files.map((f) => sha256sum(f.path)));
    for (const opts of [
      {},
      { inlineMaxBytes: 0, chunkBytes: PIECE }, // a SHA-256 thread beside the reader (2 cores)
      { inlineMaxBytes: 0, threads: 2 },
      { inlineMaxBytes: 0, threads: 1, chunkBytes: PIECE }, // both hashes on the reader's thread
    ]) {
      const { pieces, fileSha256 } = await hashFiles(files, PIECE, {
        roots: [dir],
        fileSha256: true,
        ...opts,
      });
      expect(fileSha256.map(base64), JSON.stringify(opts)).toEqual(expected);
      expect(pieces).toEqual(await hashPieces(files, PIECE, { roots: [dir], ...opts }));
    }
    // Not asked: none computed.
    const { fileSha256 } = await hashFiles(files, PIECE, { roots: [dir], inlineMaxBytes: 0 });
    expect(fileSha256).toEqual([null, null, null, null]);
  });
});
