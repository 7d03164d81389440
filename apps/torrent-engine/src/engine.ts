import { EventEmitter } from 'node:events';
import { access, constants, realpath, stat, statfs } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import {
  BusError,
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type Logger,
  type PeerEndpoint,
  type PeerInfo,
  type SeedLimits,
  type TorrentStatus,
} from '@bitween/messages';
import parseTorrent from 'parse-torrent';
import WebTorrent, { type ClientOptions, type Torrent, type Wire } from 'webtorrent';
import { executeDeletion, planDeletion } from './controls/delete-data.js';
import type { DialGuard } from './dial-guard.js';
import { GlobalLimits, TorrentLimits } from './controls/limits.js';
import { planQueue, queueMove } from './controls/queue.js';
import { effectiveLimits } from './controls/alt-speed.js';
import { RateMeter } from './controls/rate-meter.js';
import {
  DEFAULT_SEED_LIMITS,
  idleLimitMinutes,
  ratioLimit,
  reachedSeedLimit,
} from './controls/seed-limits.js';
import { applyFileChanges, rangesComplete, wantedPieceRanges, wantedTotals } from './controls/selection.js';
import { mkdirConfined, resolveShareRoots } from './confined-open.js';
import { FileStore } from './file-store.js';
import {
  firstAndLastPiecesFirst,
  isSequential,
  setStrategy,
  strategyOf,
} from './streaming/download-order.js';
import { shortLivedBuffers } from './gc-tuning.js';
import { createTorrentFile } from './hashing/create-torrent-file.js';
import { checkAllowed, filesOutside, isInside } from './paths.js';
import { clientName } from './peer-client.js';
import { pieceLengthFor } from './piece-length.js';
import { FastResume } from './resume/fast-resume.js';
import { checkInfo } from './torrent-name-policy.js';
import type { StateStore, TorrentRecord } from './state-store.js';
import { TorrentTrackers } from './trackers.js';

/** Friends only: no trackers, DHT, local discovery, PEX, port mapping, web seeds or uTP. */
const CLIENT_OPTIONS = {
  dht: false,
  tracker: false,
  lsd: false,
  utPex: false,
  natUpnp: false,
  natPmp: false,
  webSeeds: false,
  // uTP is 40-80x slower than TCP on loopback/LAN here; TCP only.
  utp: false,
  // Global limits are the engine's own (GlobalLimits), so sockets connect to wires directly.
  throttling: false,
} as const;

/**
 * Requests we accept outstanding from one peer, advertised as `reqq` in the extended handshake
 * (BEP 10). webtorrent sets none and its downloader then pipelines a second's worth of blocks
 * (~12,000 requests at 200 MB/s), all of which the seeder holds and reads ahead (seeder RSS
 * ~450 MB). libtorrent's default is 500; webtorrent and libtorrent downloaders honour it.
 */
const REQUEST_QUEUE = 500;

interface Entry {
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
 * Transmission's bookkeeping of a torrent between two folds into its record (`#fold`): payload
 * bytes (piece data only, from the wires), time in the current mode, payload rates.
 */
interface Accounting {
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
  /** The record holds folded values not yet written. */
  unsaved: boolean;
}

/** How often bookkeeping is folded and seeding limits are checked; records are written every 12th. */
const TICK_MS = 5_000;

/** Optional parts of an add request. */
export interface AddOptions {
  trackers?: string[] | undefined;
  /** Piece order of a download (streaming/download-order.ts). */
  sequential?: boolean | undefined;
  firstLastPiecesFirst?: boolean | undefined;
}

/**
 * Where torrents run when several engines share one NATS (see placement/): every torrent is
 * claimed by exactly one engine. Absent: this engine runs whatever it is given.
 */
export interface Placement {
  /** Try to become the one engine that runs `hash`. */
  claim(hash: string): Promise<{ won: true } | { won: false; owner: string }>;
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
  /** The set of torrents, or what is known of one (metadata, completion, error), changed. */
  changed: [];
  /** The BitTorrent client died (e.g. its listening socket failed); the engine must restart. */
  fatal: [Error];
  /** A torrent appeared (added or restored). */
  added: [TorrentStatus];
  /** A torrent was removed. */
  removed: [{ hash: string; deleteData: boolean }];
}

const peerAddress = (e: PeerEndpoint) =>
  isIPv6(e.address) ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

/**
 * The BitTorrent side of bitween, on webtorrent: shares paths in place, downloads by
 * info-hash from peers it is given, and keeps every torrent on disk across restarts.
 */
export class TorrentEngine extends EventEmitter<EngineEvents> {
  readonly #entries = new Map<string, Entry>();
  /**
   * Endpoints friends advertise per info-hash (from the gateway), by the address webtorrent dials
   * ("ip:port", "[ipv6]:port"): for dialling, redialling and judging each dial (LAN evidence).
   */
  readonly #peerBook = new Map<string, Map<string, PeerEndpoint>>();
  readonly #resume: FastResume;
  /** Torrent creations under way, stopped at shutdown. */
  readonly #hashing = new AbortController();
  #settings: EngineSettings = DEFAULT_ENGINE_SETTINGS;
  readonly #globalLimits = new GlobalLimits();
  #stopped = false;
  /** Real paths of the share roots, resolved once at start: files open only below them. */
  #realRoots: readonly string[] = [];
  #ticker: NodeJS.Timeout | undefined;
  #altSpeed = false;
  #ticks = 0;

  private constructor(
    private readonly client: WebTorrent,
    private readonly opts: EngineOptions,
  ) {
    super();
    this.#resume = new FastResume(opts.store.dir, opts.log);
    client.on('error', (err: Error) => {
      if (this.#stopped) return;
      opts.log.error({ err }, 'BitTorrent client failed');
      this.emit('fatal', err);
    });
  }

  static async start(opts: EngineOptions): Promise<TorrentEngine> {
    const realRoots = await resolveShareRoots(opts.shareRoots);
    // Every outgoing connection passes the dial guard (refused until the engine exists).
    let self: TorrentEngine | null = null;
    const client = await listen(opts.ports, opts.encryption ?? 'preferred', opts.log, (addr, t, source) =>
      self ? self.#mayDial(addr, t, source) : false,
    );
    try {
      opts.prepare?.(client);
    } catch (err) {
      client.destroy();
      throw err;
    }
    const engine = new TorrentEngine(client, opts);
    self = engine;
    engine.#realRoots = realRoots;
    if (opts.settings) engine.applySettings(opts.settings);
    await opts.store.init();
    await engine.#restore();
    engine.#ticker = setInterval(() => engine.#tick(), TICK_MS).unref();
    return engine;
  }

  get port(): number {
    return this.client.address()?.port ?? this.client.torrentPort;
  }

  get engineId(): string {
    return this.opts.engineId;
  }

  /** Where sharing and saving are allowed (the download dir included). */
  get shareRoots(): readonly string[] {
    return this.opts.shareRoots;
  }

  get log(): Logger {
    return this.opts.log;
  }

  /** The torrent of `hash` (null while it failed) and the real share roots: streaming/ reads its files. */
  streamSource(hash: string): { torrent: Torrent | null; roots: readonly string[] } {
    return { torrent: this.#get(hash).torrent, roots: this.#realRoots };
  }

  // ---- commands ----------------------------------------------------------------------------

  async addPath(
    requested: string,
    opts: AddOptions = {},
  ): Promise<{ torrent: TorrentStatus; created: boolean }> {
    const abs = path.resolve(requested);
    const allowed = await checkAllowed(abs, this.opts.shareRoots);
    if (!allowed.ok)
      throw new BusError(allowed.reason.includes('does not exist') ? 'not_found' : 'failed', allowed.reason);
    const real = allowed.real;
    const info = await stat(real);
    if (!info.isFile() && !info.isDirectory())
      throw new BusError('failed', `${abs} is neither a file nor a folder`);
    try {
      await access(real, constants.R_OK);
    } catch {
      throw new BusError('failed', `${abs} is not readable by the engine`);
    }
    const started = Date.now();
    this.opts.log.info({ path: real }, 'hashing');
    let torrentFile: Uint8Array;
    let infoHash: string;
    let size: number;
    try {
      // Hashed in a worker thread: transfers of other torrents go on meanwhile.
      ({
        torrentFile,
        infoHash,
        layout: { length: size },
      } = await createTorrentFile(real, {
        createdBy: 'bitween',
        pieceLength: pieceLengthFor,
        signal: this.#hashing.signal,
        roots: this.#realRoots,
        log: this.opts.log,
      }));
    } catch (err) {
      throw new BusError('failed', `could not read ${abs}: ${(err as Error).message}`);
    }
    const existing = this.#entries.get(infoHash);
    if (existing) return { torrent: this.#status(existing), created: false };
    const elsewhere = await this.#claim(infoHash);
    if (elsewhere) return elsewhere;
    const raced = this.#entries.get(infoHash);
    if (raced) return { torrent: this.#status(raced), created: false };

    const record: TorrentRecord = {
      hash: infoHash,
      source: 'path',
      savePath: path.dirname(real),
      addedAt: Date.now(),
      // Our own data: complete from the start.
      completedAt: Date.now(),
      ...withTrackers(opts),
    };
    // The data was hashed a moment ago: no need to verify it again.
    const entry = this.#attach(record, torrentFile, true);
    this.opts.log.info({ hash: infoHash, path: real, size, ms: Date.now() - started }, 'sharing path');
    // The record makes the torrent exist on restart: written last.
    await this.opts.store.saveMetadata(infoHash, torrentFile);
    await this.opts.store.save(record);
    await this.#settled(entry);
    return this.#announceAdded(entry);
  }

  async addHash(
    hash: string,
    savePath?: string,
    opts: AddOptions = {},
  ): Promise<{ torrent: TorrentStatus; created: boolean }> {
    return this.#addDownload(hash, null, savePath, opts);
  }

  /** Add a torrent from its metainfo (a .torrent file): downloads from peers into the save path. */
  async addTorrentFile(
    metainfo: Uint8Array,
    savePath?: string,
    opts: AddOptions = {},
  ): Promise<{ torrent: TorrentStatus; created: boolean }> {
    if (metainfo.length > 700 * 1024)
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
    const outside = filesOutside(path.resolve(savePath ?? this.opts.downloadDir), parsed.files);
    if (outside.length > 0) {
      throw new BusError(
        'invalid_request',
        `refused: file names leave the save path (${outside.slice(0, 3).join(', ')})`,
      );
    }
    return this.#addDownload(parsed.infoHash, metainfo, savePath, opts);
  }

  async #addDownload(
    hash: string,
    torrentFile: Uint8Array | null,
    savePath: string | undefined,
    opts: AddOptions,
  ): Promise<{ torrent: TorrentStatus; created: boolean }> {
    const existing = this.#entries.get(hash);
    if (existing) return { torrent: this.#status(existing), created: false };
    const dir = path.resolve(savePath ?? this.opts.downloadDir);
    const roots = this.opts.shareRoots;
    if (!roots.some((r) => isInside(path.resolve(r), dir))) {
      throw new BusError(
        'failed',
        `${dir} is outside the download dir and the share roots (${roots.join(', ')}): cannot save there`,
      );
    }
    try {
      // Never through a symbolic link out of the roots (confined-open.ts).
      await mkdirConfined(this.#realRoots, dir);
    } catch (err) {
      throw new BusError('failed', `cannot create ${dir}: ${(err as Error).message}`);
    }
    const allowed = await checkAllowed(dir, roots);
    if (!allowed.ok) throw new BusError('failed', allowed.reason);
    const elsewhere = await this.#claim(hash);
    if (elsewhere) return elsewhere;
    // The same hash may have been added while we were creating the folder or claiming it.
    const raced = this.#entries.get(hash);
    if (raced) return { torrent: this.#status(raced), created: false };
    const record: TorrentRecord = {
      hash,
      source: 'hash',
      savePath: allowed.real,
      addedAt: Date.now(),
      ...withTrackers(opts),
      ...(opts.sequential !== undefined ? { sequential: opts.sequential } : {}),
      ...(opts.firstLastPiecesFirst ? { firstLastPiecesFirst: true } : {}),
    };
    const entry = this.#attach(record, torrentFile, false);
    this.opts.log.info({ hash, savePath: record.savePath, metainfo: torrentFile !== null }, 'downloading');
    // The record makes the torrent exist on restart: written last.
    if (torrentFile) await this.opts.store.saveMetadata(hash, torrentFile);
    await this.opts.store.save(record);
    return this.#announceAdded(entry);
  }

  /**
   * Remove a torrent; with `deleteData`, also its files (only those of the torrent, only below
   * its save path) and the folders of its layout that are left empty.
   */
  async remove(hash: string, deleteData = false): Promise<void> {
    const entry = this.#get(hash);
    this.#entries.delete(hash);
    await this.#resume.forget(hash);
    entry.trackers?.stop();
    const files = entry.files;
    if (entry.torrent && !entry.torrent.destroyed) {
      await this.client.remove(entry.torrent, { destroyStore: false });
    }
    await this.opts.store.remove(hash);
    await this.opts.placement?.release(hash).catch((err: unknown) => {
      this.opts.log.warn({ hash, err }, 'could not release the torrent claim');
    });
    if (deleteData) {
      // Planned on the save path's real path: the deletion walks the roots without following links.
      const savePath = await realpath(entry.record.savePath).catch(() => entry.record.savePath);
      const plan = planDeletion(savePath, files);
      if (plan.refused.length > 0) {
        this.opts.log.warn(
          { hash, refused: plan.refused.slice(0, 10) },
          'left files outside the save path alone',
        );
      }
      const deleted = await executeDeletion(plan, this.#realRoots);
      this.opts.log.info({ hash, ...deleted }, 'removed with its data');
    } else {
      this.opts.log.info({ hash }, 'removed (files kept)');
    }
    this.emit('removed', { hash, deleteData });
    this.emit('changed');
    this.#reschedule();
  }

  /** Stop a torrent for good (until resumed): no connection open, none accepted or made. */
  async pause(hash: string): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    if (!entry.record.paused) {
      this.#fold(entry);
      await this.#update(entry, { paused: true });
      this.opts.log.info({ hash }, 'paused');
      this.#reschedule();
      this.#applyRun(entry);
    }
    return this.#status(entry);
  }

  async resume(hash: string): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    if (entry.record.paused) {
      this.#fold(entry);
      await this.#update(entry, { paused: false, finished: false, ...this.#liftReachedLimit(entry) });
      this.opts.log.info({ hash }, 'resumed');
      this.#reschedule();
      this.#applyRun(entry);
    }
    return this.#status(entry);
  }

  /** Per-file selection by index; unwanted files are not fetched (beyond pieces they share). */
  async setFiles(hash: string, changes: { index: number; wanted: boolean }[]): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    const t = entry.torrent;
    if (!t || !entry.hasMetadata) {
      throw new BusError('failed', `the files of ${hash} are not known yet (no metadata)`);
    }
    const next = applyFileChanges(entry.record.unwanted ?? [], changes, t.files.length);
    if ('error' in next) throw new BusError('invalid_request', next.error);
    await this.#update(entry, { unwanted: next.unwanted });
    this.#applySelection(entry, t);
    this.#checkComplete(entry);
    this.#reschedule();
    this.emit('changed');
    return this.#status(entry);
  }

  /** In-order (true) or rarest-first piece selection. Persisted. */
  async setSequential(hash: string, sequential: boolean): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    await this.#update(entry, { sequential });
    if (entry.torrent) setStrategy(entry.torrent, sequential);
    this.opts.log.info({ hash, sequential }, 'download order set');
    return this.#status(entry);
  }

  /** Labels and seeding limits (absent = unchanged). Persisted. */
  async setOptions(
    hash: string,
    opts: { labels?: string[] | undefined; seedLimits?: Partial<SeedLimits> | undefined },
  ): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    const patch: Partial<TorrentRecord> = {};
    if (opts.labels !== undefined) patch.labels = [...new Set(opts.labels)];
    if (opts.seedLimits !== undefined) {
      const defined = Object.fromEntries(Object.entries(opts.seedLimits).filter(([, v]) => v !== undefined));
      patch.seedLimits = { ...(entry.record.seedLimits ?? DEFAULT_SEED_LIMITS), ...defined };
    }
    await this.#update(entry, patch);
    this.opts.log.info({ hash, ...patch }, 'torrent options set');
    this.emit('changed');
    return this.#status(entry);
  }

  /**
   * Check the data on disk again: the torrent is re-added from its metadata without its saved
   * bitfield, so webtorrent re-hashes every piece (state `checking` until done).
   */
  async verify(hash: string): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    const t = entry.torrent;
    if (!t || t.destroyed || !entry.hasMetadata || !t.torrentFile) {
      throw new BusError('failed', `${hash} has no metadata (or failed): nothing to verify`);
    }
    const torrentFile = new Uint8Array(t.torrentFile);
    this.#fold(entry);
    entry.trackers?.stop();
    this.#entries.delete(hash);
    await this.client.remove(t, { destroyStore: false });
    await this.#resume.forget(hash);
    await this.opts.store.save(entry.record);
    const fresh = this.#attach(entry.record, torrentFile, false);
    this.opts.log.info({ hash }, 'verifying the data on disk');
    return this.#status(fresh);
  }

  /** Dial every endpoint friends offer the torrent at again (and announce to its trackers). */
  reannounce(hash: string): number {
    const entry = this.#get(hash);
    if (entry.record.paused || entry.queued) return 0;
    const book = this.#peerBook.get(hash);
    this.#dialBook(entry);
    entry.trackers?.stop();
    entry.trackers?.start();
    this.opts.log.info({ hash, endpoints: book?.size ?? 0 }, 'reannounce: dialling known peers');
    return book?.size ?? 0;
  }

  /** The verified pieces as a BitTorrent bitfield (high bit first), base64. */
  pieces(hash: string): { pieceCount: number; bitfield: string } {
    const entry = this.#get(hash);
    const t = entry.torrent;
    if (!t || !entry.hasMetadata || !t.bitfield) return { pieceCount: 0, bitfield: '' };
    const n = t.pieces.length;
    const bytes = new Uint8Array(Math.ceil(n / 8));
    bytes.set(t.bitfield.buffer.subarray(0, bytes.length));
    return { pieceCount: n, bitfield: Buffer.from(bytes).toString('base64') };
  }

  /** The torrent's connected peers, as Transmission's peer list shows them. */
  peers(hash: string): PeerInfo[] {
    const t = this.#get(hash).torrent;
    if (!t || t.destroyed) return [];
    const n = t.pieces.length;
    return t.wires.slice(0, 500).map((w) => {
      let have = 0;
      for (let i = 0; i < n; i++) if (w.peerPieces.get(i)) have++;
      return {
        address: w.remoteAddress ?? '',
        port: w.remotePort ?? 0,
        client: clientName(w.peerId),
        downloadSpeed: Math.max(0, w.downloadSpeed()),
        uploadSpeed: Math.max(0, w.uploadSpeed()),
        progress: n > 0 ? have / n : 0,
        amChoking: w.amChoking,
        amInterested: w.amInterested,
        peerChoking: w.peerChoking,
        peerInterested: w.peerInterested,
        incoming: w.type.includes('Incoming'),
        encrypted: w._cryptoHandshakeDone === true,
        transport: w.type === 'webrtc' ? 'webrtc' : w.type.startsWith('tcp') ? 'tcp' : 'other',
      };
    });
  }

  /** Move a torrent in the download queue (Transmission's queue-move-*); persisted. */
  async queueMove(hash: string, to: 'top' | 'up' | 'down' | 'bottom'): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    const items = [...this.#entries.values()].map((e) => ({
      hash: e.hash,
      addedAt: e.record.addedAt,
      order: e.record.queueOrder,
    }));
    for (const [h, order] of queueMove(items, hash, to)) {
      const e = this.#entries.get(h);
      if (e) await this.#update(e, { queueOrder: order });
    }
    this.opts.log.info({ hash, to }, 'moved in the queue');
    this.#reschedule();
    this.emit('changed');
    return this.#status(entry);
  }

  /** Free and total bytes of the file system of a folder below the share roots. */
  async freeSpace(requested: string): Promise<{ path: string; free: number; total: number }> {
    const abs = path.resolve(requested);
    const allowed = await checkAllowed(abs, this.opts.shareRoots);
    if (!allowed.ok) throw new BusError('failed', allowed.reason);
    const fs = await statfs(allowed.real);
    return { path: abs, free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
  }

  /** Per-torrent limits in bytes/s: undefined = unchanged, null = unlimited. */
  async setLimits(
    hash: string,
    limits: { downloadLimit?: number | null | undefined; uploadLimit?: number | null | undefined },
  ): Promise<TorrentStatus> {
    const entry = this.#get(hash);
    const patch: Partial<TorrentRecord> = {};
    if (limits.downloadLimit !== undefined) patch.downloadLimit = limits.downloadLimit;
    if (limits.uploadLimit !== undefined) patch.uploadLimit = limits.uploadLimit;
    await this.#update(entry, patch);
    entry.limits.set(patch);
    this.opts.log.info({ hash, ...patch }, 'limits set');
    return this.#status(entry);
  }

  /** Apply the daemon-wide settings: global limits, and the download queue. */
  applySettings(settings: EngineSettings): void {
    this.#settings = settings;
    this.#applyGlobalLimits(true);
    this.opts.log.info({ settings }, 'engine settings applied');
    this.#reschedule();
  }

  /** The global limits in force (the alternative ones while on or scheduled); logs a switch. */
  #applyGlobalLimits(force = false): void {
    const { alt, ...limits } = effectiveLimits(this.#settings, new Date());
    if (!force && alt === this.#altSpeed) return;
    if (alt !== this.#altSpeed) {
      this.opts.log.info({ ...limits }, alt ? 'alternative speed limits on' : 'alternative speed limits off');
    }
    this.#altSpeed = alt;
    this.#globalLimits.set(limits);
  }

  has(hash: string): boolean {
    return this.#entries.has(hash);
  }

  /**
   * Run a torrent another engine ran (it stopped sending heartbeats; this engine won the
   * claim): saved in this engine's state, data verified where it lies (shared volume).
   */
  async adopt(record: TorrentRecord, torrentFile: Uint8Array | null, from: string): Promise<void> {
    if (this.#entries.has(record.hash) || this.#stopped) return;
    const entry = this.#attach(record, torrentFile, false);
    if (torrentFile) await this.opts.store.saveMetadata(record.hash, torrentFile);
    await this.opts.store.save(record);
    this.opts.log.info({ hash: record.hash, from, savePath: record.savePath }, 'took over a torrent');
    this.emit('added', this.#status(entry));
    this.#reschedule();
  }

  /** Another engine now runs `hash` (we were presumed dead): stop it here, keep the files. */
  async drop(hash: string, owner: string): Promise<void> {
    const entry = this.#entries.get(hash);
    if (!entry) return;
    this.#entries.delete(hash);
    entry.trackers?.stop();
    if (entry.torrent && !entry.torrent.destroyed) {
      await this.client.remove(entry.torrent, { destroyStore: false });
    }
    await this.opts.store.remove(hash);
    this.opts.log.warn({ hash, owner }, 'another engine took this torrent over; stopped it here');
    this.emit('changed');
    this.#reschedule();
  }

  list(): TorrentStatus[] {
    return [...this.#entries.values()].map((e) => this.#status(e));
  }

  /** For the registry: every torrent, with name and size once the metadata is known. */
  summary(): { hash: string; name: string | null; size: number | null }[] {
    return [...this.#entries.values()].map((e) => {
      const t = e.torrent;
      const known = t && e.hasMetadata && !e.error;
      return { hash: e.hash, name: known ? t.name : null, size: known ? t.length : null };
    });
  }

  /**
   * Remember where friends offer `hash` and connect to the endpoints that are new (the gateway
   * repeats the whole list on every change), or to all of them while a download has no peer.
   */
  setPeers(hash: string, endpoints: PeerEndpoint[]): void {
    const book = new Map(endpoints.map((e) => [peerAddress(e), e]));
    const known = this.#peerBook.get(hash) ?? new Map<string, PeerEndpoint>();
    this.#peerBook.set(hash, book);
    const addresses = [...book.keys()];
    const entry = this.#entries.get(hash);
    if (!entry) return;
    const t = entry.torrent;
    const starving = t !== null && !entry.complete && t.numPeers === 0;
    this.#dial(entry, starving ? addresses : addresses.filter((a) => !known.has(a)));
  }

  /** Our own public addresses as the gateway knows them: the dial guard's LAN evidence, our side. */
  setOwnPublic(addresses: readonly string[]): void {
    this.opts.dialGuard.setOwnPublic(addresses);
  }

  /** Dial the known endpoints again for incomplete torrents that have no peer (friend restarted…). */
  redial(): void {
    for (const entry of this.#entries.values()) {
      const t = entry.torrent;
      if (t && !entry.complete && t.numPeers === 0) this.#dialBook(entry);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#ticker);
    await this.#saveBookkeeping(true);
    this.#hashing.abort(new Error('the engine is stopping'));
    for (const e of this.#entries.values()) e.trackers?.stop();
    // Bitfields as they are now, written once no more data arrives.
    const resume = this.#resume.snapshot();
    await new Promise<void>((resolve) => this.client.destroy(() => resolve()));
    await this.#resume.write(resume);
  }

  // ---- internals ---------------------------------------------------------------------------

  async #restore(): Promise<void> {
    const started = Date.now();
    const stored = await this.opts.store.load();
    // Torrents whose files are unchanged since their bitfield was saved skip verification.
    const decisions = await Promise.all(
      stored.map(({ record, torrentFile }) =>
        torrentFile ? this.#resume.startup(record.hash, record.savePath) : Promise.resolve(null),
      ),
    );
    const checking: Entry[] = [];
    let restored = 0;
    let resumed = 0;
    for (const [i, { record, torrentFile }] of stored.entries()) {
      const claim = await this.opts.placement?.claim(record.hash);
      if (claim && !claim.won) {
        // Taken over by another engine while we were away: it has its own copy of the record.
        this.opts.log.info({ hash: record.hash, owner: claim.owner }, 'torrent now runs elsewhere');
        await this.opts.store.remove(record.hash);
        continue;
      }
      const decision = decisions[i];
      const bitfield = decision?.kind === 'resume' ? decision.bitfield : undefined;
      if (bitfield) resumed++;
      const entry = this.#attach(record, torrentFile, false, bitfield);
      restored++;
      if (torrentFile) checking.push(entry);
    }
    this.#reschedule();
    if (restored === 0) return;
    this.opts.log.info({ torrents: restored, resumed }, 'restored torrents');
    void Promise.all(checking.map((e) => this.#settled(e))).then(() =>
      this.opts.log.info(
        { torrents: checking.length, resumed, verified: checking.length - resumed, ms: Date.now() - started },
        'restored torrents ready',
      ),
    );
  }

  /** Emit `added` for every torrent (after a restart; the caller's bus is ready by then). */
  announceRestored(): void {
    for (const e of this.#entries.values()) this.emit('added', this.#status(e));
  }

  #announceAdded(entry: Entry): { torrent: TorrentStatus; created: true } {
    const torrent = this.#status(entry);
    this.emit('added', torrent);
    return { torrent, created: true };
  }

  #get(hash: string): Entry {
    const entry = this.#entries.get(hash);
    if (!entry)
      throw new BusError('not_found', `no torrent with hash ${hash} on engine ${this.opts.engineId}`);
    return entry;
  }

  /** Change and persist a torrent's record. */
  async #update(entry: Entry, patch: Partial<TorrentRecord>): Promise<void> {
    entry.record = { ...entry.record, ...patch };
    await this.opts.store.save(entry.record);
  }

  /** Recompute which downloads run and which wait (maxActiveDownloads), and apply it. */
  #reschedule(): void {
    const candidates = [...this.#entries.values()].map((e) => ({
      hash: e.hash,
      addedAt: e.record.addedAt,
      order: e.record.queueOrder,
      incomplete: e.record.source === 'hash' && !e.complete,
      paused: e.record.paused === true,
      failed: e.error !== null,
    }));
    const { queued } = planQueue(candidates, this.#settings.maxActiveDownloads);
    for (const e of this.#entries.values()) {
      const q = queued.has(e.hash);
      if (q === e.queued) continue;
      e.queued = q;
      this.opts.log.info({ hash: e.hash }, q ? 'queued' : 'download slot free: starting');
      this.#applyRun(e);
    }
  }

  /**
   * Make the torrent's transfers match its state. webtorrent's pause() only stops new
   * connections, so a stopped torrent also closes every connection and forgets queued dials;
   * incoming ones are refused while paused. Starting again dials the known peers.
   */
  #applyRun(entry: Entry): void {
    const t = entry.torrent;
    if (!t || t.destroyed) return;
    this.#fold(entry);
    const run = !entry.record.paused && !entry.queued;
    if (!run && !t.paused) {
      t.pause();
      entry.limits.closeAll();
      for (const peer of [...t._peers.values()]) t.removePeer(peer);
      t._queue.length = 0;
      entry.trackers?.stop();
      this.emit('changed');
    } else if (run && t.paused) {
      t.resume();
      if (t.infoHash) this.#dialBook(entry);
      entry.trackers?.start();
      this.emit('changed');
    }
  }

  /** Ask peers for the pieces of the wanted files only. */
  #applySelection(entry: Entry, t: Torrent): void {
    if (t.destroyed || t.pieces.length === 0) return;
    const ranges = wantedPieceRanges(
      t.files.map((f) => ({ length: f.length, startPiece: f._startPiece, endPiece: f._endPiece })),
      entry.record.unwanted ?? [],
    );
    t.deselect(0, t.pieces.length - 1);
    for (const [from, to] of ranges) t.select(from, to);
  }

  /** Is every wanted piece verified? Logs and reschedules when a download completes. */
  #checkComplete(entry: Entry): void {
    entry.checkPending = false;
    const t = entry.torrent;
    if (!t || t.destroyed || !t.ready || !t.bitfield) return;
    const bitfield = t.bitfield;
    const ranges = wantedPieceRanges(
      t.files.map((f) => ({ length: f.length, startPiece: f._startPiece, endPiece: f._endPiece })),
      entry.record.unwanted ?? [],
    );
    const complete = rangesComplete(ranges, (i) => bitfield.get(i));
    if (complete === entry.complete) return;
    this.#fold(entry);
    entry.complete = complete;
    if (complete && entry.record.completedAt === undefined) {
      entry.record = { ...entry.record, completedAt: Date.now() };
      entry.acct.unsaved = true;
    }
    if (complete) {
      if (entry.record.source === 'hash') {
        this.opts.log.info({ hash: entry.hash, name: t.name, bytes: t.length }, 'download complete');
      }
      entry.trackers?.complete();
    }
    this.emit('changed');
    this.#reschedule();
  }

  #attach(
    record: TorrentRecord,
    torrentFile: Uint8Array | null,
    skipVerify: boolean,
    bitfield?: Uint8Array,
  ): Entry {
    const torrent = this.client.add(torrentFile ?? `magnet:?xt=urn:btih:${record.hash}`, {
      path: record.savePath,
      store: FileStore,
      // Files open below the share roots only, never through a symbolic link (confined-open.ts).
      storeOpts: { roots: this.#realRoots },
      // FileStore has its own read cache, of reused buffers (webtorrent's would keep every piece
      // it read until the garbage collector gets to it).
      storeCacheSlots: 0,
      skipVerify,
      announce: [],
      ...(bitfield ? { bitfield } : {}),
      // The engine selects the wanted files' pieces itself once the metadata is known.
      deselect: true,
      paused: record.paused === true,
      strategy: strategyOf(record),
    });
    const entry: Entry = {
      hash: record.hash,
      record,
      torrent,
      hasMetadata: false,
      error: null,
      queued: false,
      complete: false,
      checkPending: false,
      limits: new TorrentLimits(record.downloadLimit ?? null, record.uploadLimit ?? null, this.#globalLimits),
      trackers: null,
      files: [],
      acct: {
        mode: null,
        since: Date.now(),
        down: 0,
        up: 0,
        downRate: new RateMeter(),
        upRate: new RateMeter(),
        activityAt: record.activityAt ?? null,
        seedingSince: null,
        unsaved: false,
      },
    };
    this.#entries.set(record.hash, entry);
    this.#resume.track(record.hash, torrent, record.savePath, bitfield);
    const log = this.opts.log;
    if (record.trackers && record.trackers.length > 0) {
      entry.trackers = new TorrentTrackers(record.trackers, {
        infoHash: record.hash,
        peerId: this.client.peerId,
        port: this.port,
        stats: () => {
          const t = entry.torrent;
          const wanted = t && entry.hasMetadata ? wantedTotals(t.files, entry.record.unwanted ?? []) : null;
          return {
            uploaded: t?.uploaded ?? 0,
            downloaded: t?.received ?? 0,
            left: wanted ? wanted.size - wanted.downloaded : 0,
          };
        },
        onPeer: (address) => this.#dial(entry, [address], 'tracker'),
        log,
      });
      if (!record.paused) entry.trackers.start();
    }
    torrent.on('wire', (wire: Wire) => {
      // Sent after this event (webtorrent emits it before our extended handshake).
      wire.extendedHandshake.reqq = REQUEST_QUEUE;
      // Blocks received and sent are short-lived buffers (see gc-tuning.ts).
      wire.on('download', shortLivedBuffers);
      wire.on('upload', shortLivedBuffers);
      // Piece payload only (bittorrent-protocol emits these for piece messages): what Transmission
      // counts and rates; the torrent's own counters include handshakes, metadata and keep-alives.
      const a = entry.acct;
      wire.on('download', (bytes: number) => {
        a.down += bytes;
        a.downRate.add(bytes);
        a.activityAt = Date.now();
      });
      wire.on('upload', (bytes: number) => {
        a.up += bytes;
        a.upRate.add(bytes);
        a.activityAt = Date.now();
      });
      entry.limits.attach(wire);
    });
    torrent.once('infoHash', () => this.#dialBook(entry));
    torrent.once('metadata', () => this.#onMetadata(entry, torrent));
    torrent.once('ready', () => {
      this.#checkComplete(entry);
      this.emit('changed');
    });
    torrent.on('verified', () => {
      if (entry.complete || entry.checkPending || !torrent.ready) return;
      entry.checkPending = true;
      setTimeout(() => this.#checkComplete(entry), 200).unref();
    });
    torrent.once('done', () => this.#checkComplete(entry));
    this.#reschedule();
    torrent.on('warning', (err: Error) => {
      // A piece whose data fails its SHA-1 check is dropped and downloaded again; a peer sent bad
      // data, which a user wants to see (Transmission counts it as "corrupt").
      if (/failed verification/.test(err.message))
        log.warn({ hash: entry.hash, err: err.message }, 'piece failed verification');
      else log.debug({ hash: entry.hash, err: err.message }, 'torrent warning');
    });
    torrent.once('error', (err: Error) => {
      // webtorrent destroys a torrent that fails; keep it listed with its error.
      log.error({ hash: entry.hash, err: err.message }, 'torrent failed');
      entry.error = err.message;
      entry.torrent = null;
      entry.trackers?.stop();
      this.emit('changed');
      this.#reschedule();
    });
    this.emit('changed');
    return entry;
  }

  #onMetadata(entry: Entry, torrent: Torrent): void {
    const names = checkInfo(torrent.info);
    const outside = filesOutside(entry.record.savePath, torrent.files);
    if (!names.ok || outside.length > 0) {
      entry.error = !names.ok
        ? `refused: ${names.reason}`
        : `refused: file names leave the save path (${outside.slice(0, 3).join(', ')})`;
      this.opts.log.warn(
        { hash: entry.hash, reason: entry.error, files: outside.slice(0, 10) },
        'refused a torrent with unsafe file names',
      );
      entry.torrent = null;
      entry.trackers?.stop();
      torrent.destroy();
      this.emit('changed');
      this.#reschedule();
      return;
    }
    entry.hasMetadata = true;
    entry.files = torrent.files.map((f) => f.path);
    this.#applySelection(entry, torrent);
    if (entry.record.firstLastPiecesFirst) firstAndLastPiecesFirst(torrent, entry.record.unwanted ?? []);
    this.opts.log.info({ hash: entry.hash, name: torrent.name, bytes: torrent.length }, 'metadata known');
    if (entry.record.source === 'hash') {
      this.opts.store.saveMetadata(entry.hash, torrent.torrentFile).catch((err: unknown) => {
        this.opts.log.error({ hash: entry.hash, err }, 'could not save torrent metadata');
      });
    }
    this.emit('changed');
  }

  /** Claim `hash` for this engine; when another engine holds it, that engine's view of it. */
  async #claim(hash: string): Promise<{ torrent: TorrentStatus; created: false } | null> {
    const placement = this.opts.placement;
    if (!placement) return null;
    const claim = await placement.claim(hash);
    if (claim.won) return null;
    // The owner may be adding it this very moment: give it a few seconds to list it.
    for (let i = 0; i < 10; i++) {
      const torrent = await placement.statusAt(claim.owner, hash);
      if (torrent) return { torrent, created: false };
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new BusError(
      'conflict',
      `torrent ${hash} is held by engine ${claim.owner}, which does not list it`,
    );
  }

  /**
   * Connect to `addresses` (each judged by the dial guard where webtorrent creates the peer).
   * `source`: what gave them, for the guard's log (`contact`: xmpp.peers, `tracker`).
   */
  #dial(entry: Entry, addresses: Iterable<string>, source = 'contact'): void {
    const t = entry.torrent;
    if (!t || t.destroyed || !t.infoHash) return;
    // Our own endpoints never arrive here: the gateway leaves them out of `xmpp.peers`.
    for (const a of addresses) t.addPeer(a, source);
  }

  /** Connect to every endpoint friends offer the torrent at. */
  #dialBook(entry: Entry): void {
    this.#dial(entry, this.#peerBook.get(entry.hash)?.keys() ?? []);
  }

  /** webtorrent's `dialFilter`: may `addr` be dialled for `torrent`? Never throws (refuses instead). */
  #mayDial(addr: string, torrent: Torrent, source: string | undefined): boolean {
    const hash = torrent.infoHash;
    try {
      return this.opts.dialGuard.allows(addr, { hash, source, offer: this.#peerBook.get(hash)?.get(addr) });
    } catch (err) {
      this.opts.log.warn({ err, addr, hash }, 'the dial guard failed on an address; not dialling it');
      return false;
    }
  }

  /** Wait until a just-added torrent is ready (or failed), so the reply shows its real state. */
  #settled(entry: Entry): Promise<void> {
    const t = entry.torrent;
    if (!t || t.ready || entry.error) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        t.off('ready', done);
        t.off('error', done);
        t.off('close', done);
        resolve();
      };
      t.on('ready', done);
      t.on('error', done);
      t.on('close', done);
    });
  }

  /** The torrent's state as `TorrentStatus.state` names it. */
  #stateOf(entry: Entry): TorrentStatus['state'] {
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

  /** Fold the bookkeeping since the last fold into the record (in memory; `#saveBookkeeping` writes). */
  #fold(entry: Entry, now = Date.now()): void {
    const a = entry.acct;
    const r = entry.record;
    const patch: Partial<TorrentRecord> = {};
    if (a.mode === 'downloading') patch.downloadingMs = (r.downloadingMs ?? 0) + (now - a.since);
    if (a.mode === 'seeding') patch.seedingMs = (r.seedingMs ?? 0) + (now - a.since);
    if (a.down > 0) patch.downloadedEver = (r.downloadedEver ?? 0) + a.down;
    if (a.up > 0) patch.uploadedEver = (r.uploadedEver ?? 0) + a.up;
    if (a.activityAt !== null && a.activityAt !== r.activityAt) patch.activityAt = a.activityAt;
    if (Object.keys(patch).length > 0) {
      entry.record = { ...r, ...patch };
      a.unsaved = true;
    }
    a.down = 0;
    a.up = 0;
    a.since = now;
    const state = this.#stateOf(entry);
    // Fetching metadata counts as downloading, unless it is a complete torrent being restored.
    const fetching = state === 'metadata' && r.completedAt === undefined;
    const mode = state === 'seeding' ? 'seeding' : state === 'downloading' || fetching ? 'downloading' : null;
    if (mode !== a.mode) {
      a.mode = mode;
      a.seedingSince = mode === 'seeding' ? now : null;
    }
  }

  /** Write the records whose bookkeeping changed (every minute, and everything at shutdown). */
  async #saveBookkeeping(all: boolean): Promise<void> {
    for (const entry of this.#entries.values()) {
      if (all) this.#fold(entry);
      if (!entry.acct.unsaved) continue;
      entry.acct.unsaved = false;
      await this.opts.store.save(entry.record).catch((err: unknown) => {
        this.opts.log.warn({ hash: entry.hash, err }, 'could not save the torrent bookkeeping');
      });
    }
  }

  #tick(): void {
    if (this.#stopped) return;
    // The alternative limits' schedule.
    this.#applyGlobalLimits();
    const now = Date.now();
    for (const entry of this.#entries.values()) {
      this.#fold(entry, now);
      if (entry.acct.mode === 'seeding') this.#checkSeedLimit(entry, now);
    }
    if (++this.#ticks % 12 === 0) void this.#saveBookkeeping(false);
  }

  #seedFacts(entry: Entry, now: number) {
    const r = entry.record;
    const t = entry.torrent;
    const a = entry.acct;
    const limits = r.seedLimits ?? DEFAULT_SEED_LIMITS;
    const facts = {
      limits,
      globalRatio: this.#settings.seedRatioLimit ?? null,
      globalIdleMinutes: this.#settings.seedIdleMinutes ?? null,
      uploadedEver: (r.uploadedEver ?? 0) + a.up,
      downloadedEver: (r.downloadedEver ?? 0) + a.down,
      sizeWhenDone: 0,
      idleMs: now - Math.max(a.activityAt ?? 0, a.seedingSince ?? now),
    };
    if (facts.downloadedEver === 0 && t && entry.hasMetadata)
      facts.sizeWhenDone = wantedTotals(t.files, r.unwanted ?? []).size;
    return facts;
  }

  /** Stop a seeding torrent that reached its ratio or idle limit, as Transmission does. */
  #checkSeedLimit(entry: Entry, now: number): void {
    const limits = entry.record.seedLimits ?? DEFAULT_SEED_LIMITS;
    const global = {
      limits,
      globalRatio: this.#settings.seedRatioLimit ?? null,
      globalIdleMinutes: this.#settings.seedIdleMinutes ?? null,
    };
    if (ratioLimit(global) === null && idleLimitMinutes(global) === null) return;
    const reached = reachedSeedLimit(this.#seedFacts(entry, now));
    if (!reached || entry.record.paused) return;
    this.opts.log.info({ hash: entry.hash, limit: reached }, 'seeding limit reached: stopping the torrent');
    this.#fold(entry, now);
    entry.record = { ...entry.record, paused: true, finished: true };
    entry.acct.unsaved = true;
    this.#reschedule();
    this.#applyRun(entry);
    this.emit('changed');
    void this.#saveBookkeeping(false);
  }

  /** Started by hand past its ratio limit: the torrent then seeds without one (Transmission). */
  #liftReachedLimit(entry: Entry): Partial<TorrentRecord> {
    const facts = this.#seedFacts(entry, Date.now());
    if (!entry.record.finished || reachedSeedLimit({ ...facts, idleMs: 0 }) !== 'ratio') return {};
    const seedLimits: SeedLimits = { ...facts.limits, ratioMode: 'unlimited' };
    return { seedLimits };
  }

  #status(entry: Entry): TorrentStatus {
    const t = entry.torrent;
    const now = Date.now();
    this.#fold(entry, now);
    const r = entry.record;
    const a = entry.acct;
    const base = {
      hash: entry.hash,
      engineId: this.opts.engineId,
      savePath: r.savePath,
      addedAt: r.addedAt,
      error: entry.error,
      downloadLimit: r.downloadLimit ?? null,
      uploadLimit: r.uploadLimit ?? null,
      trackers: entry.trackers?.status() ?? [],
      uploaded: r.uploadedEver ?? 0,
      downloadedEver: r.downloadedEver ?? 0,
      uploadedEver: r.uploadedEver ?? 0,
      secondsDownloading: Math.floor((r.downloadingMs ?? 0) / 1000),
      secondsSeeding: Math.floor((r.seedingMs ?? 0) / 1000),
      completedAt: r.completedAt ?? null,
      activityAt: r.activityAt ?? null,
      labels: r.labels ?? [],
      seedLimits: r.seedLimits ?? DEFAULT_SEED_LIMITS,
      finished: r.finished === true,
      ...(r.queueOrder === undefined ? {} : { queueOrder: r.queueOrder }),
    };
    if (!t || entry.error) {
      return {
        ...base,
        name: null,
        size: null,
        state: 'error',
        progress: 0,
        done: false,
        downloaded: 0,
        downloadSpeed: 0,
        uploadSpeed: 0,
        peers: 0,
        files: [],
        eta: null,
      };
    }
    const known = entry.hasMetadata;
    const unwanted = new Set(r.unwanted ?? []);
    const wanted = known ? wantedTotals(t.files, r.unwanted ?? []) : null;
    const done = known && entry.complete;
    const state = this.#stateOf(entry);
    const running = state !== 'paused' && state !== 'queued';
    // Payload rates: 0 once nothing moved for a few seconds, and never while done.
    const downloadSpeed = running && !done ? a.downRate.rate(now) : 0;
    return {
      ...base,
      name: known ? t.name : null,
      size: known ? t.length : null,
      state,
      progress: done ? 1 : wanted && wanted.size > 0 ? Math.min(1, wanted.downloaded / wanted.size) : 0,
      done,
      downloaded: known ? Math.min(t.downloaded, t.length) : 0,
      downloadSpeed,
      uploadSpeed: running ? a.upRate.rate(now) : 0,
      peers: t.numPeers,
      files: known
        ? t.files.map((f, i) => ({
            path: f.path,
            size: f.length,
            wanted: !unwanted.has(i),
            downloaded: Math.min(f.length, f.downloaded),
          }))
        : [],
      eta: done || !wanted || !running ? null : etaSeconds(wanted.size - wanted.downloaded, downloadSpeed),
      sequential: isSequential(t),
      ...(known ? { pieceCount: t.pieces.length, pieceLength: t.pieceLength } : {}),
    };
  }
}

/** Listen on the first free port of the range (the original used 8000-8020). */
async function listen(
  ports: EngineOptions['ports'],
  encryption: NonNullable<EngineOptions['encryption']>,
  log: Logger,
  dialFilter: NonNullable<ClientOptions['dialFilter']>,
): Promise<WebTorrent> {
  const order: number[] = [];
  if (ports.preferred !== undefined) order.push(ports.preferred);
  for (let p = ports.from; p <= ports.to; p++) if (p !== ports.preferred) order.push(p);
  for (const [i, port] of order.entries()) {
    // webtorrent's `secure`: 1 = MSE/PE handshake with plaintext fallback, 0 = plain only.
    const client = new WebTorrent({
      ...CLIENT_OPTIONS,
      secure: encryption === 'off' ? 0 : 1,
      torrentPort: port,
      dialFilter,
    });
    const err = await new Promise<Error | null>((resolve) => {
      client.once('listening', () => resolve(null));
      client.once('error', (e: Error) => resolve(e));
    });
    if (!err) {
      log.info({ port: client.address()?.port }, 'BitTorrent listening (TCP)');
      return client;
    }
    // webtorrent destroys itself on a listen error; destroying it again throws.
    if (!client.destroyed) client.destroy();
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse || i === order.length - 1) {
      throw new Error(`cannot listen for BitTorrent on port ${port} (BITWEEN_TORRENT_PORT): ${err.message}`);
    }
    log.debug({ port }, 'port in use, trying the next');
  }
  throw new Error('BITWEEN_TORRENT_PORT: empty port range');
}

/** Seconds to fetch `left` bytes at the current rate; null when stalled. */
function etaSeconds(left: number, rate: number): number | null {
  if (!(rate > 0)) return null;
  return Math.max(0, Math.round(left / rate));
}

function withTrackers(opts: AddOptions): Pick<TorrentRecord, 'trackers'> {
  return opts.trackers && opts.trackers.length > 0 ? { trackers: [...new Set(opts.trackers)] } : {};
}
