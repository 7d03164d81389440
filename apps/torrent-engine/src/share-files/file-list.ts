/**
 * A torrent's file list as `engine.share-files` answers it, from the decoded `info` dictionary
 * (a friend's, untrusted): names judged by the torrent-name policy (a `..`, a control character or
 * a bidi override refuses the whole list, as a download of it would be refused), each path
 * component cleaned for display (@bitween/safe-text), and the answer bounded in files and bytes.
 */
import {
  MAX_SHARE_FILE_PATH_BYTES,
  MAX_SHARE_FILES,
  type ShareFile,
  type ShareFileList,
} from '@bitween/messages';
import { displayName } from '@bitween/safe-text';
import { checkTorrentPaths, rawPaths } from '../torrent-name-policy.js';

export type FileListResult = { ok: true; list: ShareFileList } | { ok: false; reason: string };

export interface FileListCaps {
  files: number;
  pathBytes: number;
}

/** The contract's limit for one path (`ShareFile.path`). */
const MAX_PATH_CHARS = 4096;

const DEFAULT_CAPS: FileListCaps = { files: MAX_SHARE_FILES, pathBytes: MAX_SHARE_FILE_PATH_BYTES };

const size = (v: unknown): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;

/** Each file's length, in the order of `rawPaths`; null when one is missing or not a size. */
function lengths(info: Record<string, unknown>): number[] | null {
  const files = info['files'];
  if (files === undefined) {
    const one = size(info['length']);
    return one === null ? null : [one];
  }
  const out: number[] = [];
  for (const f of files as Record<string, unknown>[]) {
    const n = size(f['length']);
    if (n === null) return null;
    out.push(n);
  }
  return out;
}

/**
 * The list for `hash` from `info`: paths inside the share (a multi-file torrent's files without
 * its folder name; a single file by its name), the first files up to the caps.
 */
export function fileListOf(
  hash: string,
  info: unknown,
  from: ShareFileList['from'],
  caps: FileListCaps = DEFAULT_CAPS,
): FileListResult {
  const paths = rawPaths(info);
  const sizes = paths ? lengths(info as Record<string, unknown>) : null;
  if (!paths || !sizes || sizes.length !== paths.length) {
    return { ok: false, reason: 'refused: the file list cannot be read' };
  }
  const check = checkTorrentPaths(paths);
  if (!check.ok) return { ok: false, reason: `refused: ${check.reason}` };
  const single = (info as Record<string, unknown>)['files'] === undefined;
  const files: ShareFile[] = [];
  let bytes = 0;
  let totalBytes = 0;
  let truncated = false;
  for (const [i, parts] of paths.entries()) {
    totalBytes += sizes[i]!;
    if (truncated) continue;
    const inside = single ? parts : parts.slice(1);
    const joined = inside.map((c) => displayName(c)).join('/');
    // (Deep folders: 64 components of 255 bytes would exceed what one path may be on the wire.)
    const path = joined.length > MAX_PATH_CHARS ? `${joined.slice(0, MAX_PATH_CHARS - 1)}…` : joined;
    const pathBytes = Buffer.byteLength(path);
    if (files.length >= caps.files || bytes + pathBytes > caps.pathBytes) {
      truncated = true;
      continue;
    }
    bytes += pathBytes;
    files.push({ path, size: sizes[i]! });
  }
  const name = displayName(paths[0]?.[0]).slice(0, 1024);
  return {
    ok: true,
    list: { hash, name, files, totalFiles: paths.length, totalBytes, truncated, from },
  };
}
