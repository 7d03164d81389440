import { setFlagsFromString } from 'node:v8';

/**
 * Count memory outside the JS heap (buffers: file reads, received data) in V8's global heap
 * limit instead of its own 64 MB "external memory" limit. With the separate limit, every
 * ~64 MB of new buffers starts a full (mark-compact) garbage collection: a seeder reading
 * 1 GiB of pieces ran ~40 full collections per GiB with a heap of ~20 MB, and the collector
 * threads took a third of its CPU. Counted in the global limit, short-lived buffers are freed
 * by the young-generation collections instead (peak RSS unchanged in a test of 1 GiB of 1 MiB
 * buffers). Measured with bench/transfer.mjs: seeder CPU per GiB down ~45% (see docs).
 *
 * Imported first by main.ts: the flag applies to collections from then on.
 */
setFlagsFromString('--external-memory-accounted-in-global-limit');
