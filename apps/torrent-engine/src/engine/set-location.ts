/**
 * Transmission's set-location: a torrent's data goes to another save folder below the share
 * roots (`move`), or only its location changes and the data is looked for there.
 *
 * A move stops the torrent's transfers, records where it goes (`record.moving`, written before
 * the first file moves), moves the files (controls/move-data.ts), and only then writes the new
 * `savePath`; the torrent is added again there and verified, and runs as before. A start that
 * finds `moving` in a record finishes that move first (finishMoves). A move that fails puts the
 * files it moved back and the torrent runs at its old place.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BusError, type TorrentStatus } from '@bitween/messages';
import parseTorrent from 'parse-torrent';
import { moveData } from '../controls/move-data.js';
import { filesOutside } from '../paths.js';
import type { StoredTorrent, TorrentRecord } from '../state-store.js';
import { attach } from './attach.js';
import { fold } from './bookkeeping.js';
import { getEntry, updateRecord, type EngineCore, type Entry } from './core.js';
import { applyRun } from './run-control.js';
import { saveFolder } from './share-roots.js';
import { torrentStatus } from './status.js';

/** How long the command waits for a move before it answers while the move goes on. */
const ANSWER_WITHIN_MS = 2_000;

const moving = new WeakMap<EngineCore, Set<string>>();
function underway(core: EngineCore): Set<string> {
  let set = moving.get(core);
  if (!set) moving.set(core, (set = new Set()));
  return set;
}

function withoutMove(record: TorrentRecord): TorrentRecord {
  const { moving: _done, ...rest } = record;
  return rest;
}

export async function setLocation(
  core: EngineCore,
  hash: string,
  location: string,
  move: boolean,
): Promise<TorrentStatus> {
  const entry = getEntry(core, hash);
  const busy = underway(core);
  if (busy.has(hash)) throw new BusError('failed', `the data of ${hash} is being moved already`);
  // Below the share roots only (created there, never through a link): the same rule as a save path.
  const to = await saveFolder(core, location);
  const from = await realpath(entry.record.savePath).catch(() => path.resolve(entry.record.savePath));
  if (to === from) return torrentStatus(entry, core.opts.engineId);
  const t = entry.torrent;
  const torrentFile = t && entry.hasMetadata && t.torrentFile ? new Uint8Array(t.torrentFile) : null;
  if (!move || !entry.hasMetadata || !t) {
    // Only the location: the torrent is looked for (verified) there.
    const fresh = await reattach(core, entry, { ...withoutMove(entry.record), savePath: to }, torrentFile);
    core.log.info({ hash, from, to }, 'location set (data not moved)');
    return torrentStatus(fresh, core.opts.engineId);
  }
  if (!t.ready) throw new BusError('failed', `${hash} is still checking its data: move it once that is done`);
  const outside = filesOutside(
    to,
    entry.files.map((p) => ({ path: p })),
  );
  if (outside.length > 0) throw new BusError('failed', `file names would leave ${to}: cannot move there`);

  busy.add(hash);
  const wasPaused = entry.record.paused === true;
  try {
    await updateRecord(core, entry, { moving: { to, paused: wasPaused } });
  } catch (err) {
    busy.delete(hash);
    throw err;
  }
  // Transfers stop while the files move (in memory: the record's `moving` keeps the real state).
  fold(entry);
  entry.record = { ...entry.record, paused: true };
  applyRun(core, entry);
  core.events.emit('changed', hash);
  core.log.info({ hash, from, to }, 'moving the data');

  const job = runMove(core, entry, from, to, wasPaused, torrentFile).finally(() => busy.delete(hash));
  const finished = await Promise.race([job.then(() => true), delay(ANSWER_WITHIN_MS).then(() => false)]);
  const now = core.entries.get(hash) ?? entry;
  if (!finished) core.log.info({ hash, to }, 'the move goes on after the answer');
  return torrentStatus(now, core.opts.engineId);
}

/** The move itself, after the command checked and recorded it; never rejects. */
async function runMove(
  core: EngineCore,
  entry: Entry,
  from: string,
  to: string,
  wasPaused: boolean,
  torrentFile: Uint8Array | null,
): Promise<void> {
  const hash = entry.hash;
  const started = Date.now();
  let savePath = to;
  try {
    const report = await moveData(core.realRoots, from, to, entry.files);
    core.log.info({ hash, from, to, ...report, ms: Date.now() - started }, 'data moved');
  } catch (err) {
    core.log.error({ hash, from, to, err }, 'could not move the data: putting it back');
    try {
      await moveData(core.realRoots, to, from, entry.files);
      savePath = from;
    } catch (back) {
      // Neither place has every file: stay at the new place (the files not there come again from friends).
      core.log.error({ hash, from, to, err: back }, 'could not put the data back either');
    }
  }
  if (core.entries.get(hash) !== entry || core.stopped) {
    core.log.info({ hash }, 'the torrent was removed or the engine stopped during its move');
    return;
  }
  // The new location is written last; the torrent runs again there (verified) as it ran before.
  // (Never rejects: the command may have answered already.)
  try {
    await reattach(core, entry, { ...withoutMove(entry.record), savePath, paused: wasPaused }, torrentFile);
  } catch (err) {
    core.log.error({ hash, savePath, err }, 'could not record the new location (finished at the next start)');
  }
}

/** Take the torrent out of the client and add it again with `record` (saved first): verified there. */
async function reattach(
  core: EngineCore,
  entry: Entry,
  record: TorrentRecord,
  torrentFile: Uint8Array | null,
): Promise<Entry> {
  fold(entry);
  entry.trackers?.stop();
  core.entries.delete(entry.hash);
  const t = entry.torrent;
  if (t && !t.destroyed) await core.client.remove(t, { destroyStore: false });
  await core.resume.forget(entry.hash);
  await core.opts.store.save(record);
  return attach(core, record, torrentFile, false);
}

/**
 * At start: finish the moves a stop or crash interrupted (records with `moving`), so each
 * torrent is restored where its files are. A move that cannot finish is put back; when that
 * fails too the record keeps `moving` (tried again at the next start).
 */
export async function finishMoves(core: EngineCore, stored: StoredTorrent[]): Promise<StoredTorrent[]> {
  const out: StoredTorrent[] = [];
  for (const item of stored) {
    const { record, torrentFile } = item;
    if (!record.moving) {
      out.push(item);
      continue;
    }
    const { to, paused } = record.moving;
    const from = path.resolve(record.savePath);
    let next: TorrentRecord = record;
    try {
      const files = torrentFile ? ((await parseTorrent(torrentFile)).files ?? []).map((f) => f.path) : [];
      try {
        const report = await moveData(core.realRoots, from, to, files);
        next = { ...withoutMove(record), savePath: to, paused };
        core.log.info({ hash: record.hash, from, to, ...report }, 'finished an interrupted move');
      } catch (err) {
        core.log.error(
          { hash: record.hash, from, to, err },
          'could not finish an interrupted move: putting it back',
        );
        await moveData(core.realRoots, to, from, files);
        next = { ...withoutMove(record), paused };
      }
      await core.resume.forget(record.hash);
      await core.opts.store.save(next);
    } catch (err) {
      core.log.error(
        { hash: record.hash, err },
        'an interrupted move stays unfinished (tried again at the next start)',
      );
    }
    out.push({ record: next, torrentFile });
  }
  return out;
}
