/**
 * The commands that change a running torrent: stop and start, file selection, piece order,
 * labels and seeding limits, speed limits, queue position, verifying the data, reannouncing;
 * and the daemon-wide settings. Each persists what it changes and replies with the new status.
 */
import {
  BusError,
  type EngineSettings,
  type FilePriority,
  type SeedLimits,
  type TorrentStatus,
} from '@bitween/messages';
import { queueMove as planQueueMove } from '../controls/queue.js';
import { DEFAULT_SEED_LIMITS } from '../controls/seed-limits.js';
import { applyFileChanges } from '../controls/selection.js';
import type { TorrentRecord } from '../state-store.js';
import { setStrategy } from '../streaming/download-order.js';
import { attach } from './attach.js';
import { fold, liftReachedLimit } from './bookkeeping.js';
import { getEntry, updateRecord, type EngineCore, type Entry } from './core.js';
import { dialBook } from './peer-book.js';
import { applyGlobalLimits, applyRun, applySelection, checkComplete, reschedule } from './run-control.js';
import { torrentStatus } from './status.js';

const status = (core: EngineCore, entry: Entry): TorrentStatus => torrentStatus(entry, core.opts.engineId);

/** Stop a torrent for good (until resumed): no connection open, none accepted or made. */
export async function pause(core: EngineCore, hash: string): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  if (!entry.record.paused) {
    fold(entry);
    await updateRecord(core, entry, { paused: true });
    core.log.info({ hash }, 'paused');
    reschedule(core);
    applyRun(core, entry);
  }
  return status(core, entry);
}

export async function resume(core: EngineCore, hash: string): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  if (entry.record.paused) {
    fold(entry);
    await updateRecord(core, entry, {
      paused: false,
      finished: false,
      ...liftReachedLimit(entry, core.settings),
    });
    core.log.info({ hash }, 'resumed');
    reschedule(core);
    applyRun(core, entry);
  }
  return status(core, entry);
}

/**
 * Per-file selection and priority by index; unwanted files are not fetched (beyond pieces they
 * share), high-priority files' pieces are asked for before normal ones, low ones last.
 */
export async function setFiles(
  core: EngineCore,
  hash: string,
  changes: { index: number; wanted?: boolean | undefined; priority?: FilePriority | undefined }[],
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const t = entry.torrent;
  if (!t || !entry.hasMetadata) {
    throw new BusError('failed', `the files of ${hash} are not known yet (no metadata)`);
  }
  const r = entry.record;
  const next = applyFileChanges(
    { unwanted: r.unwanted, high: r.highPriority, low: r.lowPriority },
    changes,
    t.files.length,
  );
  if ('error' in next) throw new BusError('invalid_request', next.error);
  await updateRecord(core, entry, {
    unwanted: next.unwanted,
    highPriority: next.high,
    lowPriority: next.low,
  });
  applySelection(entry, t);
  checkComplete(core, entry);
  reschedule(core);
  core.events.emit('changed', entry.hash);
  return status(core, entry);
}

/** In-order (true) or rarest-first piece selection. Persisted. */
export async function setSequential(
  core: EngineCore,
  hash: string,
  sequential: boolean,
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  await updateRecord(core, entry, { sequential });
  if (entry.torrent) setStrategy(entry.torrent, sequential);
  core.log.info({ hash, sequential }, 'download order set');
  return status(core, entry);
}

/** Labels and seeding limits (absent = unchanged). Persisted. */
export async function setOptions(
  core: EngineCore,
  hash: string,
  opts: { labels?: string[] | undefined; seedLimits?: Partial<SeedLimits> | undefined },
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const patch: Partial<TorrentRecord> = {};
  if (opts.labels !== undefined) patch.labels = [...new Set(opts.labels)];
  if (opts.seedLimits !== undefined) {
    const defined = Object.fromEntries(Object.entries(opts.seedLimits).filter(([, v]) => v !== undefined));
    patch.seedLimits = { ...(entry.record.seedLimits ?? DEFAULT_SEED_LIMITS), ...defined };
  }
  await updateRecord(core, entry, patch);
  core.log.info({ hash, ...patch }, 'torrent options set');
  core.events.emit('changed', hash);
  return status(core, entry);
}

/** Per-torrent limits in bytes/s: undefined = unchanged, null = unlimited. */
export async function setLimits(
  core: EngineCore,
  hash: string,
  limits: { downloadLimit?: number | null | undefined; uploadLimit?: number | null | undefined },
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const patch: Partial<TorrentRecord> = {};
  if (limits.downloadLimit !== undefined) patch.downloadLimit = limits.downloadLimit;
  if (limits.uploadLimit !== undefined) patch.uploadLimit = limits.uploadLimit;
  await updateRecord(core, entry, patch);
  entry.limits.set(patch);
  core.log.info({ hash, ...patch }, 'limits set');
  return status(core, entry);
}

/** Move a torrent in the download queue (Transmission's queue-move-*); persisted. */
export async function queueMove(
  core: EngineCore,
  hash: string,
  to: 'top' | 'up' | 'down' | 'bottom',
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const items = [...core.entries.values()].map((e) => ({
    hash: e.hash,
    addedAt: e.record.addedAt,
    order: e.record.queueOrder,
  }));
  for (const [h, order] of planQueueMove(items, hash, to)) {
    const e = core.entries.get(h);
    if (e) await updateRecord(core, e, { queueOrder: order });
  }
  core.log.info({ hash, to }, 'moved in the queue');
  reschedule(core);
  core.events.emit('changed');
  return status(core, entry);
}

/**
 * Check the data on disk again: the torrent is re-added from its metadata without its saved
 * bitfield, so webtorrent re-hashes every piece (state `checking` until done).
 */
export async function verify(core: EngineCore, hash: string): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const t = entry.torrent;
  if (!t || t.destroyed || !entry.hasMetadata || !t.torrentFile) {
    throw new BusError('failed', `${hash} has no metadata (or failed): nothing to verify`);
  }
  const torrentFile = new Uint8Array(t.torrentFile);
  fold(entry);
  entry.trackers?.stop();
  core.entries.delete(hash);
  await core.client.remove(t, { destroyStore: false });
  await core.resume.forget(hash);
  await core.opts.store.save(entry.record);
  const fresh = attach(core, entry.record, torrentFile, false);
  core.log.info({ hash }, 'verifying the data on disk');
  return status(core, fresh);
}

/** Dial every endpoint friends offer the torrent at again (and announce to its trackers). */
export function reannounce(core: EngineCore, hash: string): number {
  const entry = getEntry(core, hash);
  if (entry.record.paused || entry.queued) return 0;
  const endpoints = core.peerBook.size(hash);
  dialBook(core.peerBook, entry);
  entry.trackers?.stop();
  entry.trackers?.start();
  core.log.info({ hash, endpoints }, 'reannounce: dialling known peers');
  return endpoints;
}

/** Apply the daemon-wide settings: global limits, and the download queue. */
export function applySettings(core: EngineCore, settings: EngineSettings): void {
  core.settings = settings;
  applyGlobalLimits(core, true);
  core.log.info({ settings }, 'engine settings applied');
  reschedule(core);
}
