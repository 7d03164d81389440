/**
 * Which torrents transfer and how: the download queue (maxActiveDownloads), stopping and
 * starting a torrent's connections, its wanted pieces and completion, the global and
 * alternative speed limits, and the periodic tick that folds bookkeeping and stops torrents at
 * their seeding limits.
 */
import type { Torrent } from 'webtorrent';
import { effectiveLimits } from '../controls/alt-speed.js';
import { planQueue } from '../controls/queue.js';
import {
  pieceRangesByPriority,
  rangesComplete,
  wantedPieceRanges,
  type PieceSpan,
} from '../controls/selection.js';
import { selectByPriority } from '../streaming/download-order.js';
import { fold, saveBookkeeping, seedLimitReached } from './bookkeeping.js';
import type { EngineCore, Entry } from './core.js';
import { dialBook } from './peer-book.js';

/** How often bookkeeping is folded and seeding limits are checked; records are written every 12th. */
export const TICK_MS = 5_000;
/** Time downloading and seeding alone is written hourly (and at shutdown), counts every minute. */
const TIME_SAVE_TICKS = 720;

/** Recompute which downloads run and which wait (maxActiveDownloads), and apply it. */
export function reschedule(core: EngineCore): void {
  // Only incomplete downloads take or wait for a slot: a library of seeds costs a pass over the
  // entries, not an object per torrent (this runs for every download added or restored).
  const candidates = [];
  for (const e of core.entries.values()) {
    if (e.record.source !== 'hash' || e.complete) continue;
    candidates.push({
      hash: e.hash,
      addedAt: e.record.addedAt,
      order: e.record.queueOrder,
      incomplete: true,
      paused: e.record.paused === true,
      failed: e.error !== null,
    });
  }
  const { queued } = planQueue(candidates, core.settings.maxActiveDownloads);
  for (const e of core.entries.values()) {
    const q = queued.has(e.hash);
    if (q === e.queued) continue;
    e.queued = q;
    core.log.info({ hash: e.hash }, q ? 'queued' : 'download slot free: starting');
    applyRun(core, e);
  }
}

/**
 * Make the torrent's transfers match its state. webtorrent's pause() only stops new
 * connections, so a stopped torrent also closes every connection and forgets queued dials;
 * incoming ones are refused while paused. Starting again dials the known peers.
 */
export function applyRun(core: EngineCore, entry: Entry): void {
  const t = entry.torrent;
  if (!t || t.destroyed) return;
  fold(entry);
  const run = !entry.record.paused && !entry.queued;
  if (!run && !t.paused) {
    t.pause();
    entry.limits.closeAll();
    for (const peer of [...t._peers.values()]) t.removePeer(peer);
    t._queue.length = 0;
    entry.trackers?.stop();
    core.events.emit('changed', entry.hash);
  } else if (run && t.paused) {
    t.resume();
    if (t.infoHash) dialBook(core.peerBook, entry);
    entry.trackers?.start();
    core.events.emit('changed', entry.hash);
  }
}

function spans(t: Torrent): PieceSpan[] {
  return t.files.map((f) => ({ length: f.length, startPiece: f._startPiece, endPiece: f._endPiece }));
}

function pieceRanges(entry: Entry, t: Torrent): [number, number][] {
  return wantedPieceRanges(spans(t), entry.record.unwanted ?? []);
}

/** Ask peers for the pieces of the wanted files only, by file priority (high, normal, low). */
export function applySelection(entry: Entry, t: Torrent): void {
  if (t.destroyed || t.pieces.length === 0) return;
  const r = entry.record;
  selectByPriority(
    t,
    pieceRangesByPriority(spans(t), { unwanted: r.unwanted, high: r.highPriority, low: r.lowPriority }),
  );
}

/** Is every wanted piece verified? Logs and reschedules when a download completes. */
export function checkComplete(core: EngineCore, entry: Entry): void {
  entry.checkPending = false;
  const t = entry.torrent;
  if (!t || t.destroyed || !t.ready || !t.bitfield) return;
  const bitfield = t.bitfield;
  const complete = rangesComplete(pieceRanges(entry, t), (i) => bitfield.get(i));
  if (complete === entry.complete) return;
  fold(entry);
  entry.complete = complete;
  if (complete && entry.record.completedAt === undefined) {
    entry.record = { ...entry.record, completedAt: Date.now() };
    entry.acct.unsaved = true;
  }
  if (complete) {
    if (entry.record.source === 'hash') {
      core.log.info({ hash: entry.hash, name: t.name, bytes: t.length }, 'download complete');
    }
    entry.trackers?.complete();
  }
  core.events.emit('changed', entry.hash);
  // Only a download takes or waits for a slot: thousands of shares getting ready (a restore, a
  // takeover) do not re-plan the queue once each.
  if (entry.record.source === 'hash') reschedule(core);
}

/** The global limits in force (the alternative ones while on or scheduled); logs a switch. */
export function applyGlobalLimits(core: EngineCore, force = false): void {
  const { alt, ...limits } = effectiveLimits(core.settings, new Date());
  if (!force && alt === core.altSpeed) return;
  if (alt !== core.altSpeed) {
    core.log.info({ ...limits }, alt ? 'alternative speed limits on' : 'alternative speed limits off');
  }
  core.altSpeed = alt;
  core.globalLimits.set(limits);
}

/** Stop a seeding torrent that reached its ratio or idle limit, as Transmission does. */
function stopAtSeedLimit(core: EngineCore, entry: Entry, now: number): void {
  const reached = seedLimitReached(entry, core.settings, now);
  if (!reached) return;
  core.log.info({ hash: entry.hash, limit: reached }, 'seeding limit reached: stopping the torrent');
  fold(entry, now);
  entry.record = { ...entry.record, paused: true, finished: true };
  entry.acct.unsaved = true;
  reschedule(core);
  applyRun(core, entry);
  core.events.emit('changed', entry.hash);
  void saveBookkeeping(core, false);
}

/** Every TICK_MS: the alternative limits' schedule, bookkeeping, seeding limits; `n`: tick count. */
export function tick(core: EngineCore, n: number): void {
  if (core.stopped) return;
  applyGlobalLimits(core);
  const now = Date.now();
  for (const entry of core.entries.values()) {
    fold(entry, now);
    if (entry.acct.mode === 'seeding') stopAtSeedLimit(core, entry, now);
  }
  if (n % 12 === 0) void saveBookkeeping(core, false, n % TIME_SAVE_TICKS === 0);
}
