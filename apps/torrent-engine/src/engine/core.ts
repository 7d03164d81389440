/**
 * What the engine's parts share: the webtorrent client, the torrents (one entry each), the
 * settings in force, and the engine's options and events.
 */
import type { EventEmitter } from 'node:events';
import { BusError, type EngineSettings, type TorrentStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import type WebTorrent from 'webtorrent';
import type { Torrent } from 'webtorrent';
import type { GlobalLimits, TorrentLimits } from '../controls/limits.js';
import type { RateMeter } from '../controls/rate-meter.js';
import type { DialGuard } from '../dial-guard.js';
import type { FastResume } from '../resume/fast-resume.js';
import type { StateStore, TorrentRecord } from '../state-store.js';
import type { TorrentTrackers } from '../trackers.js';
import type { PeerBook } from './peer-book.js';

/** One torrent of the engine: its record (what is persisted) and its live state. */
export interface Entry {
  readonly hash: string;
  record: TorrentRecord;
  torrent: Torrent | null;
  hasMetadata: boolean;
  error: string | null;
  /** Held back by maxActiveDownloads (state `queued`). */
  queued: boolean;
  /** Every wanted piece is verified. */
  complete: boolean;
  /** A completion check is scheduled (pieces verify in bursts). */
  checkPending: boolean;
  readonly limits: TorrentLimits;
  trackers: TorrentTrackers | null;
  /** The torrent's file paths once the metadata is known (what remove with data deletes). */
  files: string[];
  readonly acct: Accounting;
}

/**
 * Transmission's bookkeeping of a torrent between two folds into its record (bookkeeping.ts):
 * payload bytes (piece data only, from the wires), time in the current mode, payload rates.
 */
export interface Accounting {
  mode: 'downloading' | 'seeding' | null;
  /** When the current mode's time was last folded in. */
  since: number;
  down: number;
  up: number;
  readonly downRate: RateMeter;
  readonly upRate: RateMeter;
  activityAt: number | null;
  /** When seeding last began (the idle limit counts from there at the earliest). */
  seedingSince: number | null;
  /** The record holds folded counts or activity not yet written. */
  unsaved: boolean;
  /** The record holds folded time (downloading, seeding) not yet written: written less often. */
  timeUnsaved: boolean;
}

/** Optional parts of an add request. */
export interface AddOptions {
  trackers?: string[] | undefined;
  /** Piece order of a download (streaming/download-order.ts). */
  sequential?: boolean | undefined;
  firstLastPiecesFirst?: boolean | undefined;
  /** The friends whose share it is (a friend's share added by hash). */
  friends?: string[] | undefined;
}

/**
 * Where torrents run when several engines share one NATS (see placement/): every torrent is
 * claimed by exactly one engine. Absent: this engine runs whatever it is given.
 */
export interface Placement {
  /** Try to become the one engine that runs `hash`. */
  claim(hash: string): Promise<{ won: true } | { won: false; owner: string }>;
  /**
   * `claim` for many torrents at once (a restart): who is alive is read once, and the claims run
   * several at a time instead of one round trip after the other. Results in `hashes`' order.
   */
  claimAll(hashes: readonly string[]): Promise<({ won: true } | { won: false; owner: string })[]>;
  /** The torrent was removed here: give up its claim. */
  release(hash: string): Promise<void>;
  /** How the engine that won the claim reports the torrent (null: it does not list it yet). */
  statusAt(owner: string, hash: string): Promise<TorrentStatus | null>;
}

export interface EngineOptions {
  engineId: string;
  downloadDir: string;
  /** Folders below which paths may be shared and downloads saved (includes the download dir). */
  shareRoots: string[];
  /** Listen port range; `preferred` (e.g. derived from the engine's slot) is tried first. */
  ports: { from: number; to: number; preferred?: number };
  store: StateStore;
  log: Logger;
  placement?: Placement;
  /** Runs on the client before it serves anything (e.g. the incoming peer filter). */
  prepare?: (client: WebTorrent) => void;
  /** Daemon-wide settings at start (limits, queue); later changes via applySettings. */
  settings?: EngineSettings;
  /** Protocol encryption (BITWEEN_PEER_ENCRYPTION); `preferred` when unset. */
  encryption?: 'preferred' | 'off';
  /** Judges every outgoing connection before it is made, whatever gave the address. */
  dialGuard: DialGuard;
}

export interface EngineEvents {
  /**
   * The set of torrents, or what is known of one (metadata, completion, error), changed: `hash`
   * names the torrent (added, removed, changed); none for a change of several (e.g. a queue move),
   * none of which adds or removes a torrent or changes its name or size.
   */
  changed: [hash?: string];
  /** The BitTorrent client died (e.g. its listening socket failed); the engine must restart. */
  fatal: [Error];
  /** A torrent appeared (added or restored). */
  added: [TorrentStatus];
  /** A torrent was removed. */
  removed: [{ hash: string; deleteData: boolean }];
}

/** The state the engine's parts work on (owned by TorrentEngine). */
export interface EngineCore {
  readonly client: WebTorrent;
  readonly opts: EngineOptions;
  readonly log: Logger;
  readonly entries: Map<string, Entry>;
  /** Endpoints friends advertise per info-hash (from the gateway). */
  readonly peerBook: PeerBook;
  readonly resume: FastResume;
  readonly globalLimits: GlobalLimits;
  /** Torrent creations under way, stopped at shutdown. */
  readonly hashing: AbortController;
  readonly events: EventEmitter<EngineEvents>;
  /** Real paths of the share roots, resolved once at start: files open only below them. */
  realRoots: readonly string[];
  settings: EngineSettings;
  /** The alternative speed limits are in force. */
  altSpeed: boolean;
  stopped: boolean;
}

/** The entry of `hash`, or a `not_found` error naming the engine. */
export function getEntry(core: EngineCore, hash: string): Entry {
  const entry = core.entries.get(hash);
  if (!entry) throw new BusError('not_found', `no torrent with hash ${hash} on engine ${core.opts.engineId}`);
  return entry;
}

/** Change and persist a torrent's record. */
export async function updateRecord(
  core: EngineCore,
  entry: Entry,
  patch: Partial<TorrentRecord>,
): Promise<void> {
  entry.record = { ...entry.record, ...patch };
  await core.opts.store.save(entry.record);
}

/** The torrent's state as `TorrentStatus.state` names it. */
export function stateOf(entry: Entry): TorrentStatus['state'] {
  const t = entry.torrent;
  if (!t || entry.error) return 'error';
  const known = entry.hasMetadata;
  return entry.record.paused
    ? 'paused'
    : entry.queued
      ? 'queued'
      : !known
        ? 'metadata'
        : !t.ready
          ? 'checking'
          : known && entry.complete
            ? 'seeding'
            : 'downloading';
}
