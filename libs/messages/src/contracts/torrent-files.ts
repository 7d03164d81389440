import { z } from 'zod';
import { command } from '../contract.js';
import { InfoHash, TorrentFile } from '../schemas.js';
import { subjects } from '../subjects.js';

/**
 * A single-torrent reply (add, pause, resume, set-files, set-limits, …) and the `torrent.added`
 * event carry at most this many of the torrent's files, the first ones, with `fileCount` set
 * when there are more; the rest come from `engine.files` (or `engine.list`, which pages inside
 * a torrent's files). So no reply or event grows with the number of files.
 */
export const FILES_IN_REPLY = 1_000;

const FilesRequest = z
  .object({
    hash: InfoHash,
    /** Index of the first file wanted (0: from the start); a page's `next`. */
    offset: z.number().int().nonnegative().default(0),
  })
  .strict();
export const FilesPage = z.object({
  hash: InfoHash,
  /** Files in the torrent (0 until its metadata is known). */
  fileCount: z.number().int().nonnegative(),
  /** Index of `files[0]`. */
  offset: z.number().int().nonnegative(),
  files: z.array(TorrentFile),
  /** The offset of the next page; null after the last. */
  next: z.number().int().positive().nullable(),
});
export type FilesPage = z.infer<typeof FilesPage>;

/**
 * One page of a torrent's files (in torrent order, from `offset`): as many as fit one NATS
 * message (the paged commands' budget, `pageBudget`). For torrents of many files, whose
 * single-torrent replies carry only the first `FILES_IN_REPLY`.
 */
export const files = command<typeof FilesRequest, typeof FilesPage, { engineId: string }>({
  name: 'engine.files',
  subject: ({ engineId }) => subjects.engine.instance(engineId, 'files'),
  request: FilesRequest,
  response: FilesPage,
});
