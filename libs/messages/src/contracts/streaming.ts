import { z } from 'zod';
import { command } from '../contract.js';
import { InfoHash, TorrentStatus } from '../schemas.js';
import { subjects } from '../subjects.js';

/**
 * Streaming a file of a torrent (HTTP Range in the api) from the engine that owns it.
 *
 * `engine.read` is a request/reply per chunk, addressed to one engine. The request is JSON
 * (below). The reply is NOT JSON: on success its payload is the raw bytes read (at most
 * `length`: fewer at the end of the file, or when only the first pieces of the range are verified
 * yet — the engine answers once the first one is; the reader asks again for the rest; never
 * none unless `offset` is the file's size) and header {@link READ_HEADERS.fileSize} carries
 * the file's size; an error is the usual micro error (`Nats-Service-Error[-Code]` headers and a
 * JSON `{error}` body, see codec.ts). The api pipelines a few reads per stream (flow control:
 * it asks for the next chunk only while its window has room) and sends `engine.stream-close`
 * when its client goes away: the engine then drops the stream's piece priorities and fails the
 * reads that still wait for pieces.
 *
 * Each read names its `stream` (chosen by the api, unique per HTTP response): the engine raises
 * the priority of the pieces under the read and of a read-ahead window after it for that stream;
 * a read elsewhere (a seek) moves the window. A read waits for its pieces up to `timeoutMs`.
 */

/** The most bytes one read may ask for (the engine also keeps each reply within max_payload). */
export const READ_MAX_BYTES = 8 * 1024 * 1024;

/** Headers of a successful `engine.read` reply. */
export const READ_HEADERS = {
  /** The file's size in bytes (decimal). */
  fileSize: 'Bitween-File-Size',
} as const;

/** Room left in a NATS message for the reply's headers. */
export const READ_HEADER_ROOM = 4096;

/** The chunk size to ask for given the server's max_payload: 64 KiB multiples, room for headers. */
export function readChunkBytes(maxPayload: number | undefined): number {
  const max = (maxPayload ?? 1024 * 1024) - READ_HEADER_ROOM;
  return Math.max(64 * 1024, Math.min(READ_MAX_BYTES, Math.floor(max / (64 * 1024)) * 64 * 1024));
}

export const StreamId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ (1-64)');

const ReadRequest = z
  .object({
    hash: InfoHash,
    /** Index into `TorrentStatus.files`. */
    file: z.number().int().nonnegative(),
    offset: z.number().int().nonnegative(),
    length: z.number().int().positive().max(READ_MAX_BYTES),
    stream: StreamId,
    /** Bytes after the read to fetch first as well (the engine caps it). */
    readAhead: z
      .number()
      .int()
      .nonnegative()
      .max(1024 * 1024 * 1024)
      .optional(),
    /** How long the read may wait for its pieces (the engine's default when absent). */
    timeoutMs: z.number().int().positive().max(600_000).optional(),
  })
  .strict();

/** What the reply's headers carry (the payload is the bytes). */
const ReadReplyMeta = z.object({ fileSize: z.number().int().nonnegative() });

type Instance = { engineId: string };

/** Download order options of a new download (Transmission `sequential_download`, qBittorrent `firstLastPiecePrio`). */
export const DownloadOrder = z.object({
  /** Fetch pieces in order (true, the default) or rarest first (false). */
  sequential: z.boolean().optional(),
  /** Fetch the first and last piece of every wanted file first (containers with their index at the end). */
  firstLastPiecesFirst: z.boolean().optional(),
});

const SetSequentialRequest = z.object({ hash: InfoHash, sequential: z.boolean() }).strict();
/** Switch a torrent between in-order and rarest-first piece selection. Persisted. */
export const setSequential = command<
  typeof SetSequentialRequest,
  z.ZodObject<{ torrent: typeof TorrentStatus }>,
  Instance
>({
  name: 'engine.set-sequential',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'set-sequential'),
  request: SetSequentialRequest,
  response: z.object({ torrent: TorrentStatus }),
});

export const read = command<typeof ReadRequest, typeof ReadReplyMeta, Instance>({
  name: 'engine.read',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'read'),
  request: ReadRequest,
  response: ReadReplyMeta,
});

const CloseRequest = z
  .object({
    stream: StreamId,
    /** Why (logged by the engine): every byte was sent, the HTTP client went away, a read failed. */
    reason: z.enum(['finished', 'client-gone', 'failed']).optional(),
  })
  .strict();
export const streamClose = command<typeof CloseRequest, z.ZodObject<{ closed: z.ZodBoolean }>, Instance>({
  name: 'engine.stream-close',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'stream-close'),
  request: CloseRequest,
  /** False when the engine held no such stream (already closed or idle-expired). */
  response: z.object({ closed: z.boolean() }),
});
