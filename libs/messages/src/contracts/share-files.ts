import { z } from 'zod';
import { command } from '../contract.js';
import { InfoHash } from '../schemas.js';
import { queues, ROOT } from '../subjects.js';
import { PeerEndpoint } from './xmpp.js';

/** At most this many files in one answer (the rest is counted in `totalFiles`, `truncated` set). */
export const MAX_SHARE_FILES = 5_000;
/** At most this many bytes of file paths (UTF-8) in one answer: the answer fits one NATS message. */
export const MAX_SHARE_FILE_PATH_BYTES = 384 * 1024;

/** One file of a share: its path inside the share (cleaned components joined by "/") and its size. */
export const ShareFile = z.object({
  path: z.string().min(1).max(4096),
  size: z.number().int().nonnegative(),
});
export type ShareFile = z.infer<typeof ShareFile>;

export const ShareFileList = z.object({
  hash: InfoHash,
  /** The torrent's name (cleaned for display). */
  name: z.string().min(1).max(1024),
  files: z.array(ShareFile).max(MAX_SHARE_FILES),
  /** Files in the torrent (may be more than `files`). */
  totalFiles: z.number().int().nonnegative(),
  /** Bytes of every file in the torrent. */
  totalBytes: z.number().int().nonnegative(),
  /** `files` stops before the end (count or bytes cap). */
  truncated: z.boolean(),
  /** `held`: the engine has the torrent itself; `friend`: its metadata was fetched from a friend. */
  from: z.enum(['held', 'friend']),
});
export type ShareFileList = z.infer<typeof ShareFileList>;

/**
 * The file list of a friend's share, without downloading it: the engine connects to the
 * endpoints given (the friend's, through its dial guard and admission), fetches only the
 * metadata (ut_metadata, BEP 9), writes nothing and answers the files (names checked by the
 * torrent-name policy: a share with a `..` or a bidi override is `failed`). A torrent the
 * engine holds is answered from it. `timeout` when no endpoint gives the metadata in
 * `timeoutMs`; answers are cached per hash for a while.
 */
export const shareFiles = command({
  name: 'engine.share-files',
  subject: `${ROOT}.engine.share-files`,
  queue: queues.engine,
  request: z
    .object({
      hash: InfoHash,
      endpoints: z.array(PeerEndpoint).max(32),
      timeoutMs: z.number().int().min(1_000).max(120_000).optional(),
    })
    .strict(),
  response: ShareFileList,
});
