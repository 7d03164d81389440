/**
 * Transmission's bookkeeping of each torrent: payload counts, time downloading and seeding,
 * activity, folded into the record and written now and then; and the seeding limits it feeds.
 */
import type { EngineSettings, SeedLimits } from '@bitween/messages';
import {
  DEFAULT_SEED_LIMITS,
  idleLimitMinutes,
  ratioLimit,
  reachedSeedLimit,
} from '../controls/seed-limits.js';
import { wantedTotals } from '../controls/selection.js';
import type { TorrentRecord } from '../state-store.js';
import { stateOf, type EngineCore, type Entry } from './core.js';

/** Fold the bookkeeping since the last fold into the record (in memory; `saveBookkeeping` writes). */
export function fold(entry: Entry, now = Date.now()): void {
  const a = entry.acct;
  const r = entry.record;
  const patch: Partial<TorrentRecord> = {};
  if (a.mode === 'downloading') patch.downloadingMs = (r.downloadingMs ?? 0) + (now - a.since);
  if (a.mode === 'seeding') patch.seedingMs = (r.seedingMs ?? 0) + (now - a.since);
  const timeOnly = Object.keys(patch).length > 0;
  if (a.down > 0) patch.downloadedEver = (r.downloadedEver ?? 0) + a.down;
  if (a.up > 0) patch.uploadedEver = (r.uploadedEver ?? 0) + a.up;
  if (a.activityAt !== null && a.activityAt !== r.activityAt) patch.activityAt = a.activityAt;
  if (Object.keys(patch).length > 0) {
    entry.record = { ...r, ...patch };
    // Time alone changes for every running torrent: an idle library would be rewritten every
    // minute (one durable write per torrent); its time is written at shutdown and hourly.
    if (timeOnly && Object.keys(patch).length === 1) a.timeUnsaved = true;
    else a.unsaved = true;
  }
  a.down = 0;
  a.up = 0;
  a.since = now;
  const state = stateOf(entry);
  // Fetching metadata counts as downloading, unless it is a complete torrent being restored.
  const fetching = state === 'metadata' && r.completedAt === undefined;
  const mode = state === 'seeding' ? 'seeding' : state === 'downloading' || fetching ? 'downloading' : null;
  if (mode !== a.mode) {
    a.mode = mode;
    a.seedingSince = mode === 'seeding' ? now : null;
  }
}

/**
 * Write the records whose counts or activity changed (every minute), with `withTime` also those
 * whose time downloading or seeding alone changed (hourly), with `all` everything (folded first;
 * at shutdown).
 */
export async function saveBookkeeping(core: EngineCore, all: boolean, withTime = all): Promise<void> {
  for (const entry of core.entries.values()) {
    if (all) fold(entry);
    const a = entry.acct;
    if (!a.unsaved && !(withTime && a.timeUnsaved)) continue;
    a.unsaved = false;
    a.timeUnsaved = false;
    await core.opts.store.save(entry.record).catch((err: unknown) => {
      core.log.warn({ hash: entry.hash, err }, 'could not save the torrent bookkeeping');
    });
  }
}

function seedFacts(entry: Entry, settings: EngineSettings, now: number) {
  const r = entry.record;
  const t = entry.torrent;
  const a = entry.acct;
  const limits = r.seedLimits ?? DEFAULT_SEED_LIMITS;
  const facts = {
    limits,
    globalRatio: settings.seedRatioLimit ?? null,
    globalIdleMinutes: settings.seedIdleMinutes ?? null,
    uploadedEver: (r.uploadedEver ?? 0) + a.up,
    downloadedEver: (r.downloadedEver ?? 0) + a.down,
    sizeWhenDone: 0,
    idleMs: now - Math.max(a.activityAt ?? 0, a.seedingSince ?? now),
  };
  if (facts.downloadedEver === 0 && t && entry.hasMetadata)
    facts.sizeWhenDone = wantedTotals(t.files, r.unwanted ?? []).size;
  return facts;
}

/** The seeding limit a running torrent reached (Transmission then stops it), or null. */
export function seedLimitReached(
  entry: Entry,
  settings: EngineSettings,
  now: number,
): 'ratio' | 'idle' | null {
  const limits = entry.record.seedLimits ?? DEFAULT_SEED_LIMITS;
  const global = {
    limits,
    globalRatio: settings.seedRatioLimit ?? null,
    globalIdleMinutes: settings.seedIdleMinutes ?? null,
  };
  if (ratioLimit(global) === null && idleLimitMinutes(global) === null) return null;
  const reached = reachedSeedLimit(seedFacts(entry, settings, now));
  if (!reached || entry.record.paused) return null;
  return reached;
}

/** Started by hand past its ratio limit: the torrent then seeds without one (Transmission). */
export function liftReachedLimit(entry: Entry, settings: EngineSettings): Partial<TorrentRecord> {
  const facts = seedFacts(entry, settings, Date.now());
  if (!entry.record.finished || reachedSeedLimit({ ...facts, idleMs: 0 }) !== 'ratio') return {};
  const seedLimits: SeedLimits = { ...facts.limits, ratioMode: 'unlimited' };
  return { seedLimits };
}
