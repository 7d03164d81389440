import { posix } from 'node:path';
import type { TorrentStatus } from '@bitween/messages';
import { CoreError } from '../core/errors.js';
import { normaliseHash } from '../core/hash.js';
import { MAX_METAINFO_BYTES, type AddOptions, type Added } from '../core/torrents.js';
import { FetchError, fetchUnderPolicy } from '../net/fetch-under-policy.js';
import { fileSelection, namesFiles } from './file-selection.js';
import { readLocalMetainfo } from './local-metainfo.js';
import { as, type TrDeps, type TrMethod } from './method-context.js';
import { TorrentAddArgs, TrError, parseArgs } from './protocol.js';
import { refuseAddOptions } from './unsupported-args.js';

/** What `filename` names: a magnet link or bare info-hash, an http(s) URL, or a path. */
type Source =
  | { kind: 'hash'; hash: string; trackers: string[]; name?: string }
  | { kind: 'url'; url: URL }
  | { kind: 'path'; path: string };

export function sourceOf(filename: string): Source {
  const s = filename.trim();
  const hash = normaliseHash(s);
  if (/^[0-9a-f]{40}$/.test(hash)) {
    const query = /^magnet:\?/i.test(s) ? new URLSearchParams(s.slice(s.indexOf('?') + 1)) : null;
    const trackers = query
      ? query
          .getAll('tr')
          .filter((t) => /^(https?|udp):\/\/\S+$/.test(t))
          .slice(0, 32)
      : [];
    // The magnet's display name: what `torrent-added` calls the torrent until the metadata is in.
    const dn = query?.get('dn')?.trim().slice(0, 1024);
    return { kind: 'hash', hash, trackers, ...(dn ? { name: dn } : {}) };
  }
  if (/^magnet:/i.test(s))
    throw new TrError('unrecognized info: the magnet link carries no BitTorrent v1 info-hash');
  if (/^https?:\/\//i.test(s)) {
    try {
      return { kind: 'url', url: new URL(s) };
    } catch {
      throw new TrError(`invalid URL: ${s}`);
    }
  }
  if (!posix.isAbsolute(s) || s.includes('\0')) {
    throw new TrError(
      'filename must be a magnet link, an http(s) URL or an absolute path to a .torrent file',
    );
  }
  return { kind: 'path', path: s };
}

/** A .torrent from a URL, under the dial policy (see net/fetch-under-policy.ts). */
async function fetchMetainfo(url: URL, deps: TrDeps): Promise<Buffer> {
  try {
    return await fetchUnderPolicy(url, {
      policy: deps.fetchPolicy,
      timeoutMs: deps.addTimeoutMs,
      maxBytes: MAX_METAINFO_BYTES,
    });
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    deps.log.info({ url: url.href, kind: err.kind, reason: err.detail }, 'torrent-add: URL not fetched');
    throw new TrError(err.message);
  }
}

export const torrentAdd: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentAddArgs, raw);
  refuseAddOptions(raw as Record<string, unknown>);
  const dir = args['download-dir'] || undefined;
  if (dir !== undefined && (!posix.isAbsolute(dir) || dir.includes('\0'))) {
    throw new TrError("download-dir must be an absolute path on the daemon's host");
  }
  const saveTo: AddOptions = { savePath: dir, sequentialDownload: args.sequential_download };

  let added: Added;
  let displayName: string | undefined;
  if (args.metainfo !== undefined) {
    const base64 = args.metainfo.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*=*$/.test(base64)) throw new TrError('invalid or corrupt torrent file: not base64');
    added = await addMetainfo(deps, Buffer.from(base64, 'base64'), saveTo);
  } else if (args.filename !== undefined) {
    const source = sourceOf(args.filename);
    if (source.kind === 'hash') {
      displayName = source.name;
      // Idempotent in the core: a hash any engine holds is answered as it is (torrent-duplicate).
      added = await deps.torrents.addHash(source.hash, { ...saveTo, trackers: source.trackers });
    } else {
      const bytes =
        source.kind === 'url'
          ? await fetchMetainfo(source.url, deps)
          : await readLocalMetainfo(source.path, {
              torrents: deps.torrents,
              log: deps.log,
              maxBytes: MAX_METAINFO_BYTES,
            });
      added = await addMetainfo(deps, bytes, saveTo, { quoteParseErrors: false });
    }
  } else {
    throw new TrError('no filename or metainfo specified');
  }

  const { torrent, created } = added;
  const id = (await deps.ids.idsOf([torrent.hash])).get(torrent.hash)!;
  const summary = { id, name: torrent.name ?? displayName ?? torrent.hash, hashString: torrent.hash };
  if (created) await applyAddOptions(deps, torrent, args);
  return created ? { 'torrent-added': summary } : { 'torrent-duplicate': summary };
};

/**
 * Add a .torrent (base64). `quoteParseErrors: false` for files read or fetched on the caller's
 * word: the engine's parse error may quote the bytes (`buffer[0] = 114`), so only its refusals of
 * unsafe file names (`refused: …`, about a valid torrent) are passed on.
 */
async function addMetainfo(
  deps: TrDeps,
  metainfo: Buffer,
  saveTo: AddOptions,
  { quoteParseErrors = true } = {},
): Promise<Added> {
  if (metainfo.length === 0) throw new TrError('invalid or corrupt torrent file');
  try {
    return await deps.torrents.addMetainfo(metainfo, saveTo);
  } catch (err) {
    if (err instanceof CoreError && (err.code === 'invalid_request' || err.code === 'too_large')) {
      const quote = quoteParseErrors || err.message.startsWith('refused') || err.code === 'too_large';
      throw new TrError(`invalid or corrupt torrent file${quote ? `: ${err.message}` : ''}`);
    }
    throw err;
  }
}

/**
 * `labels`, `paused` and file selection of a torrent just added; a failure is reported (the
 * torrent stays added).
 */
async function applyAddOptions(
  deps: TrDeps,
  torrent: TorrentStatus,
  args: ReturnType<typeof TorrentAddArgs.parse>,
): Promise<void> {
  if (namesFiles(args)) {
    if (torrent.files.length === 0) {
      deps.log.info(
        { hash: torrent.hash },
        'torrent-add: file selection and priorities ignored: the metadata is not known yet',
      );
    } else {
      const files = fileSelection(torrent, args);
      if (files.length > 0) {
        await as('torrent added, but selecting files failed', deps.torrents.setFiles(torrent, files));
      }
    }
  }
  if (args.labels !== undefined && args.labels.length > 0) {
    await as(
      'torrent added, but setting its labels failed',
      deps.torrents.setOptions(torrent, { labels: args.labels }),
    );
  }
  if (args.paused === true) {
    await as('torrent added, but pausing it failed', deps.torrents.pause(torrent));
  }
}
