/**
 * Adding a torrent (sharing a path in place, downloading by info-hash or from a .torrent) and
 * removing one (optionally with its files): idempotent per info-hash, claimed for this engine
 * first, the record written last so that a torrent exists on restart only once complete.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { BusError, engine as contracts, type TorrentStatus } from '@bitween/messages';
import parseTorrent from 'parse-torrent';
import { executeDeletion, planDeletion } from '../controls/delete-data.js';
import { createTorrentFile } from '../hashing/create-torrent-file.js';
import { filesOutside } from '../paths.js';
import { pieceLengthFor } from '../piece-length.js';
import type { TorrentRecord } from '../state-store.js';
import { checkInfo } from '../torrent-name-policy.js';
import { attach, settled } from './attach.js';
import { getEntry, type AddOptions, type EngineCore, type Entry } from './core.js';
import { claimOrOwnerView } from './ownership.js';
import { reschedule } from './run-control.js';
import { saveFolder, shareablePath } from './share-roots.js';
import { torrentStatus } from './status.js';

export type AddResult = { torrent: TorrentStatus; created: boolean };

function withTrackers(opts: AddOptions): Pick<TorrentRecord, 'trackers'> {
  return opts.trackers && opts.trackers.length > 0 ? { trackers: [...new Set(opts.trackers)] } : {};
}

function already(core: EngineCore, entry: Entry): AddResult {
  return { torrent: torrentStatus(entry, core.opts.engineId), created: false };
}

function announceAdded(core: EngineCore, entry: Entry): AddResult {
  const torrent = torrentStatus(entry, core.opts.engineId);
  core.events.emit('added', torrent);
  return { torrent, created: true };
}

/** Share a file or folder below the share roots in place (hashed in a worker thread). */
export async function addPath(core: EngineCore, requested: string, opts: AddOptions): Promise<AddResult> {
  const { abs, real } = await shareablePath(core, requested);
  const started = Date.now();
  core.log.info({ path: real }, 'hashing');
  let torrentFile: Uint8Array;
  let infoHash: string;
  let size: number;
  let sha256: string | undefined;
  try {
    // Hashed in a worker thread: transfers of other torrents go on meanwhile.
    ({
      torrentFile,
      infoHash,
      sha256,
      layout: { length: size },
    } = await createTorrentFile(real, {
      createdBy: 'bitween',
      pieceLength: pieceLengthFor,
      signal: core.hashing.signal,
      roots: core.realRoots,
      log: core.log,
    }));
  } catch (err) {
    throw new BusError('failed', `could not read ${abs}: ${(err as Error).message}`);
  }
  const existing = core.entries.get(infoHash);
  if (existing) return already(core, existing);
  const elsewhere = await claimOrOwnerView(core, infoHash);
  if (elsewhere) return elsewhere;
  const raced = core.entries.get(infoHash);
  if (raced) return already(core, raced);

  const record: TorrentRecord = {
    hash: infoHash,
    source: 'path',
    savePath: path.dirname(real),
    addedAt: Date.now(),
    ...(sha256 ? { sha256 } : {}),
    // Our own data: complete from the start.
    completedAt: Date.now(),
    ...withTrackers(opts),
  };
  // The data was hashed a moment ago: no need to verify it again.
  const entry = attach(core, record, torrentFile, true);
  core.log.info({ hash: infoHash, path: real, size, ms: Date.now() - started }, 'sharing path');
  // The record makes the torrent exist on restart: written last.
  await core.opts.store.saveMetadata(infoHash, torrentFile);
  await core.opts.store.save(record);
  await settled(entry);
  return announceAdded(core, entry);
}

/** Add a torrent from its metainfo (a .torrent file): downloads from peers into the save path. */
export async function addTorrentFile(
  core: EngineCore,
  metainfo: Uint8Array,
  savePath: string | undefined,
  opts: AddOptions,
): Promise<AddResult> {
  if (metainfo.length > contracts.MAX_METAINFO_BYTES)
    throw new BusError('invalid_request', 'metainfo is larger than 700 KiB');
  let parsed: Awaited<ReturnType<typeof parseTorrent>>;
  try {
    parsed = await parseTorrent(metainfo);
  } catch (err) {
    throw new BusError('invalid_request', `not a valid .torrent: ${(err as Error).message}`);
  }
  if (!parsed.files || parsed.length === undefined) {
    throw new BusError('invalid_request', 'not a valid .torrent: it has no info dictionary');
  }
  // The names as the torrent spells them (parse-torrent has already joined and normalised
  // `..` away in parsed.files): refused now, with the reason, not after it was added.
  const names = checkInfo(parsed.info);
  if (!names.ok) throw new BusError('invalid_request', `refused: ${names.reason}`);
  const outside = filesOutside(path.resolve(savePath ?? core.opts.downloadDir), parsed.files);
  if (outside.length > 0) {
    throw new BusError(
      'invalid_request',
      `refused: file names leave the save path (${outside.slice(0, 3).join(', ')})`,
    );
  }
  return addDownload(core, parsed.infoHash, metainfo, savePath, opts);
}

/** Download `hash` into the save path, from its metainfo when given (else by magnet, from peers). */
export async function addDownload(
  core: EngineCore,
  hash: string,
  torrentFile: Uint8Array | null,
  savePath: string | undefined,
  opts: AddOptions,
): Promise<AddResult> {
  const existing = core.entries.get(hash);
  if (existing) return already(core, existing);
  const real = await saveFolder(core, savePath);
  const elsewhere = await claimOrOwnerView(core, hash);
  if (elsewhere) return elsewhere;
  // The same hash may have been added while we were creating the folder or claiming it.
  const raced = core.entries.get(hash);
  if (raced) return already(core, raced);
  const record: TorrentRecord = {
    hash,
    source: 'hash',
    savePath: real,
    addedAt: Date.now(),
    ...withTrackers(opts),
    ...(opts.sequential !== undefined ? { sequential: opts.sequential } : {}),
    ...(opts.firstLastPiecesFirst ? { firstLastPiecesFirst: true } : {}),
    ...(opts.friends && opts.friends.length > 0 ? { friends: [...new Set(opts.friends)] } : {}),
  };
  const entry = attach(core, record, torrentFile, false);
  core.log.info({ hash, savePath: record.savePath, metainfo: torrentFile !== null }, 'downloading');
  // The record makes the torrent exist on restart: written last.
  if (torrentFile) await core.opts.store.saveMetadata(hash, torrentFile);
  await core.opts.store.save(record);
  return announceAdded(core, entry);
}

/**
 * Remove a torrent; with `deleteData`, also its files (only those of the torrent, only below
 * its save path) and the folders of its layout that are left empty.
 */
export async function remove(core: EngineCore, hash: string, deleteData: boolean): Promise<void> {
  const entry = getEntry(core, hash);
  core.entries.delete(hash);
  await core.resume.forget(hash);
  entry.trackers?.stop();
  const files = entry.files;
  if (entry.torrent && !entry.torrent.destroyed) {
    await core.client.remove(entry.torrent, { destroyStore: false });
  }
  await core.opts.store.remove(hash);
  await core.opts.placement?.release(hash).catch((err: unknown) => {
    core.log.warn({ hash, err }, 'could not release the torrent claim');
  });
  if (deleteData) {
    // Planned on the save path's real path: the deletion walks the roots without following links.
    const savePath = await realpath(entry.record.savePath).catch(() => entry.record.savePath);
    const plan = planDeletion(savePath, files);
    if (plan.refused.length > 0) {
      core.log.warn({ hash, refused: plan.refused.slice(0, 10) }, 'left files outside the save path alone');
    }
    const deleted = await executeDeletion(plan, core.realRoots);
    core.log.info({ hash, ...deleted }, 'removed with its data');
  } else {
    core.log.info({ hash }, 'removed (files kept)');
  }
  core.events.emit('removed', { hash, deleteData });
  core.events.emit('changed', hash);
  reschedule(core);
}
