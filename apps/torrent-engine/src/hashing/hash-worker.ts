// Worker thread: SHA-1 of a contiguous range of pieces over the concatenation of a torrent's files.
// Self-contained (node: imports and the self-contained confined-open module only, erasable
// TypeScript) so Node runs it as .ts in unit tests and as .js from dist.
import { hash } from 'node:crypto';
import { fstat, read } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type * as ConfinedOpen from '../confined-open.js';
import type { HashJob, WorkerMessage } from './protocol.js';

// Imported by URL: Node runs this file as .ts in unit tests, where a static `.js` import fails.
const { closeFd, openConfined } = (await import(
  new URL(import.meta.url.endsWith('.ts') ? '../confined-open.ts' : '../confined-open.js', import.meta.url)
    .href
)) as typeof ConfinedOpen;

function requirePort(): MessagePort {
  if (!parentPort) throw new Error('hash-worker must run in a worker thread');
  return parentPort;
}
const port = requirePort();
const job = workerData as HashJob;

/** Open descriptors of the files being read, closed as soon as the reader has passed them. */
const handles = new Map<number, number>();

/** The file's descriptor: opened below the share roots without following links (or refused). */
async function handle(index: number): Promise<number> {
  let fd = handles.get(index);
  if (fd === undefined) {
    const file = job.files[index]!;
    fd = await openConfined(job.roots, file.path);
    handles.set(index, fd);
    const { size } = await new Promise<{ size: number }>((resolve, reject) =>
      fstat(fd!, (err, s) => (err ? reject(err) : resolve(s))),
    );
    if (size !== file.length)
      throw new Error(`${file.path} changed while hashing (size ${size}, expected ${file.length})`);
  }
  return fd;
}

async function closeBefore(index: number): Promise<void> {
  for (const [i, fd] of handles) {
    if (i < index) {
      handles.delete(i);
      await closeFd(fd);
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
    const fd = await handle(cursor);
    const want = Math.min(length - done, file.offset + file.length - at);
    const bytesRead = await new Promise<number>((resolve, reject) =>
      read(fd, buf, done, want, at - file.offset, (err, n) => (err ? reject(err) : resolve(n))),
    );
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
