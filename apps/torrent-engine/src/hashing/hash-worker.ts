// Worker thread: SHA-1 of a contiguous range of pieces over the concatenation of a torrent's files.
// Self-contained (node: imports only, erasable TypeScript) so Node runs it as .ts in unit tests and
// as .js from dist.
import { hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { HashJob, WorkerMessage } from './protocol.js';

function requirePort(): MessagePort {
  if (!parentPort) throw new Error('hash-worker must run in a worker thread');
  return parentPort;
}
const port = requirePort();
const job = workerData as HashJob;

/** Open handles of the files being read, closed as soon as the reader has passed them. */
const handles = new Map<number, FileHandle>();

async function handle(index: number): Promise<FileHandle> {
  let fh = handles.get(index);
  if (!fh) {
    const file = job.files[index]!;
    fh = await open(file.path, 'r');
    handles.set(index, fh);
    const { size } = await fh.stat();
    if (size !== file.length)
      throw new Error(`${file.path} changed while hashing (size ${size}, expected ${file.length})`);
  }
  return fh;
}

async function closeBefore(index: number): Promise<void> {
  for (const [i, fh] of handles) {
    if (i < index) {
      handles.delete(i);
      await fh.close();
    }
  }
}

let cursor = 0; // index of the file the reader is in (reads are sequential)

/** Fill buf[0, length) with the bytes at `offset` of the concatenated files. */
async function readAt(buf: Buffer, length: number, offset: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const at = offset + done;
    while (cursor < job.files.length) {
      const f = job.files[cursor]!;
      if (at < f.offset + f.length) break;
      cursor++;
    }
    const file = job.files[cursor];
    if (!file) throw new Error('read past the end of the files');
    await closeBefore(cursor);
    const fh = await handle(cursor);
    const want = Math.min(length - done, file.offset + file.length - at);
    const { bytesRead } = await fh.read(buf, done, want, at - file.offset);
    if (bytesRead === 0)
      throw new Error(`${file.path} changed while hashing (shorter than ${file.length} bytes)`);
    done += bytesRead;
  }
}

async function run(): Promise<void> {
  const { pieceLength, firstPiece, endPiece, totalLength } = job;
  const start = firstPiece * pieceLength;
  const end = Math.min(endPiece * pieceLength, totalLength);
  const piecesPerChunk = Math.max(1, Math.floor(job.chunkBytes / pieceLength));
  const chunk = piecesPerChunk * pieceLength;
  // Two buffers: the next chunk is read (libuv thread pool) while this thread hashes the current one.
  const buffers = [
    Buffer.allocUnsafe(Math.min(chunk, end - start)),
    Buffer.allocUnsafe(Math.min(chunk, end - start)),
  ];
  const out = new Uint8Array((endPiece - firstPiece) * 20);
  let piece = 0;
  let which = 0;
  let offset = start;
  let pending = readAt(buffers[0]!, Math.min(chunk, end - offset), offset);
  while (offset < end) {
    const length = Math.min(chunk, end - offset);
    await pending;
    const current = buffers[which]!;
    which ^= 1;
    const next = offset + length;
    if (next < end) pending = readAt(buffers[which]!, Math.min(chunk, end - next), next);
    for (let p = 0; p < length; p += pieceLength) {
      out.set(hash('sha1', current.subarray(p, Math.min(p + pieceLength, length)), 'buffer'), piece * 20);
      piece++;
    }
    offset = next;
    port.postMessage({ type: 'progress', bytes: length } satisfies WorkerMessage);
  }
  await closeBefore(Number.POSITIVE_INFINITY);
  port.postMessage({ type: 'done', pieces: out } satisfies WorkerMessage, [out.buffer]);
}

await run();
