// Worker thread: the SHA-256 of a torrent's files, fed the chunks a hash worker read (hash-range.ts
// `HandOff`: transferred in order, each sent back once hashed), so the SHA-1 of the pieces and the
// SHA-256 of the files run on two threads over one read. Self-contained (node: imports and
// self-contained modules only, erasable TypeScript) so Node runs it as .ts in unit tests and as .js
// from dist.
import { parentPort, workerData } from 'node:worker_threads';
import type * as HashRange from './hash-range.js';
import type { Chunk, Sha256Job, WorkerMessage } from './protocol.js';

// Imported by URL: Node runs this file as .ts in unit tests, where a static `.js` import fails.
const load = (file: string) =>
  import(new URL(import.meta.url.endsWith('.ts') ? `${file}.ts` : `${file}.js`, import.meta.url).href);
const { FileDigests } = (await load('./hash-range')) as typeof HashRange;

if (!parentPort) throw new Error('sha256-worker must run in a worker thread');
const parent = parentPort;
const job = workerData as Sha256Job;
const digests = new FileDigests(job.files, job.start, job.end);
let received = 0;
job.port.on('message', ({ buffer, length, offset }: Chunk) => {
  digests.update(new Uint8Array(buffer, 0, length), offset, length);
  received += length;
  if (received < job.end - job.start) {
    job.port.postMessage(buffer, [buffer]);
    return;
  }
  parent.postMessage({ type: 'digests', fileSha256: digests.digests() } satisfies WorkerMessage);
  job.port.close();
});
