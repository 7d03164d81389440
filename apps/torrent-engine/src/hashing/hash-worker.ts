// Worker thread: SHA-1 of a contiguous range of pieces over the concatenation of a torrent's
// files, and the files' SHA-256 when asked (hash-range.ts), reporting progress and the hashes to
// the main thread.
// Self-contained (node: imports and self-contained modules only, erasable TypeScript) so Node runs
// it as .ts in unit tests and as .js from dist.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type * as ConfinedOpen from '../confined-open.js';
import type * as HashRange from './hash-range.js';
import type { HashJob, WorkerMessage } from './protocol.js';

// Imported by URL: Node runs this file as .ts in unit tests, where a static `.js` import fails.
const load = (file: string) =>
  import(new URL(import.meta.url.endsWith('.ts') ? `${file}.ts` : `${file}.js`, import.meta.url).href);
const { closeFd, openConfined } = (await load('../confined-open')) as typeof ConfinedOpen;
const { hashRange } = (await load('./hash-range')) as typeof HashRange;

function requirePort(): MessagePort {
  if (!parentPort) throw new Error('hash-worker must run in a worker thread');
  return parentPort;
}
const port = requirePort();
const job = workerData as HashJob;

const result = await hashRange(job, { openConfined, closeFd }, (bytes) =>
  port.postMessage({ type: 'progress', bytes } satisfies WorkerMessage),
);
port.postMessage({ type: 'done', ...result } satisfies WorkerMessage, [result.pieces.buffer]);
