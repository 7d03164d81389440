import { FILES_IN_REPLY, jsonBytes, pageBudget, type FilesPage, type TorrentStatus } from '@bitween/messages';

/**
 * A torrent's status for a single-torrent reply or `torrent.added`: its first `FILES_IN_REPLY`
 * files and, when it has more, `fileCount` (the rest: `engine.files`). Unchanged otherwise.
 */
export function boundedStatus(status: TorrentStatus): TorrentStatus {
  if (status.files.length <= FILES_IN_REPLY) return status;
  return { ...status, files: status.files.slice(0, FILES_IN_REPLY), fileCount: status.files.length };
}

/**
 * The `engine.files` handler: the torrent's files from `offset`, as many as fit the page budget
 * of a connection whose messages may hold `maxPayload` bytes (at least one file per page).
 */
export function filesPage(status: TorrentStatus, offset: number, maxPayload: number | undefined): FilesPage {
  const all = status.files;
  const budget = pageBudget(maxPayload);
  const files = [];
  let used = 0;
  let i = Math.min(offset, all.length);
  for (; i < all.length; i++) {
    const size = jsonBytes(all[i]);
    if (files.length > 0 && used + size > budget) break;
    files.push(all[i]!);
    used += size;
  }
  return {
    hash: status.hash,
    fileCount: all.length,
    offset: Math.min(offset, all.length),
    files,
    next: i < all.length ? i : null,
  };
}

/** An add's answer with its torrent bounded (`boundedStatus`). */
export function boundedAdded<T extends { torrent: TorrentStatus }>(added: T): T {
  return { ...added, torrent: boundedStatus(added.torrent) };
}
