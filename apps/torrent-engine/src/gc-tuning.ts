import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (opts: { type: 'minor' | 'major' }) => void;

/** Bytes of short-lived buffers after which a young-generation collection is run. */
const MINOR_GC_EVERY_BYTES = 16 * 1024 * 1024;

let minorGc: (() => void) | null = null;
let shortLived = 0;

/**
 * Garbage-collector settings for bulk transfers, applied once at start-up (main.ts).
 *
 * 1. Memory outside the JS heap (buffers: file reads, received data) counts in V8's global heap
 *    limit instead of its own ~64 MB "external memory" limit. With the separate limit, every
 *    ~64 MB of new buffers started a full (mark-compact) collection: ~40 per GiB on a seeder with
 *    a heap of ~20 MB, and the collector threads took a third of its CPU.
 * 2. Then nothing collects short-lived buffers early any more: they are freed by young-generation
 *    collections, which only the JS heap's own allocation starts (every 16+ MB of JS objects,
 *    i.e. hundreds of MB of blocks at 16 KiB per ~1 KB of objects): seeder RSS ~240 MB. So the
 *    engine runs a young-generation collection (~0.3 ms) after every 16 MiB of blocks received
 *    or sent (`shortLivedBuffers`, on every wire). Measured in bench/transfer.mjs (see docs/architecture.md).
 */
export function tuneGarbageCollector(): void {
  setFlagsFromString('--external-memory-accounted-in-global-limit');
  // `gc` without exposing it to the process: taken from a fresh context, then hidden again.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as Gc;
  setFlagsFromString('--no-expose-gc');
  minorGc = () => gc({ type: 'minor' });
}

/** `bytes` of buffers were handed out that die soon (e.g. blocks being sent to peers). */
export function shortLivedBuffers(bytes: number): void {
  if (!minorGc) return;
  shortLived += bytes;
  if (shortLived < MINOR_GC_EVERY_BYTES) return;
  shortLived = 0;
  minorGc();
}
