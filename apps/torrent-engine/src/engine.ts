import { EventEmitter } from 'node:events';
import type { HeldTorrent, Logger } from '@bitween/bus';
import {
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type PeerEndpoint,
  type PeerInfo,
  type SeedLimits,
  type ShareFileList,
  type TorrentStatus,
} from '@bitween/messages';
import { inTurns } from '@bitween/runtime';
import type WebTorrent from 'webtorrent';
import type { Torrent } from 'webtorrent';
import { resolveShareRoots } from './confined-open.js';
import { GlobalLimits } from './controls/limits.js';
import { addDownload, addPath, addTorrentFile, remove, type AddResult } from './engine/add-remove.js';
import { listen } from './engine/bittorrent-client.js';
import { saveBookkeeping } from './engine/bookkeeping.js';
import {
  getEntry,
  stateOf,
  type AddOptions,
  type EngineCore,
  type EngineEvents,
  type EngineOptions,
  type Entry,
} from './engine/core.js';
import { adopt, drop } from './engine/ownership.js';
import { dial, dialBook, mayDial, PeerBook } from './engine/peer-book.js';
import { restore, TORRENTS_PER_TURN } from './engine/restore.js';
import { setLocation } from './engine/set-location.js';
import { tick, TICK_MS } from './engine/run-control.js';
import { freeSpace } from './engine/share-roots.js';
import { peerList, pieceBitfield, quietKey, torrentStatus, torrentSummary } from './engine/status.js';
import * as controls from './engine/torrent-controls.js';
import type { ListView } from './list-pages.js';
import type { ProgressView } from './progress.js';
import { FastResume } from './resume/fast-resume.js';
import { ShareFiles } from './share-files/share-files.js';
import type { StoredTorrent } from './state-store.js';

export type { AddOptions, EngineEvents, EngineOptions, Placement } from './engine/core.js';

/**
 * The BitTorrent side of bitween, on webtorrent: shares paths in place, downloads by
 * info-hash from peers it is given, and keeps every torrent on disk across restarts.
 *
 * This class only composes the parts in engine/ (one job each, on the shared `EngineCore`):
 * add-remove, torrent-controls, run-control (queue, transfers, completion, limits, tick),
 * bookkeeping, status, peer-book (friends' endpoints, dialling), ownership (placement among
 * engines), restore (fast resume), share-roots, attach (a torrent in the client), the client.
 */
export class TorrentEngine extends EventEmitter<EngineEvents> {
  readonly #core: EngineCore;
  readonly #shareFiles: ShareFiles;
  #ticker: NodeJS.Timeout | undefined;
  #ticks = 0;

  private constructor(
    client: WebTorrent,
    opts: EngineOptions,
    realRoots: readonly string[],
    peerBook: PeerBook,
  ) {
    super();
    this.#core = {
      client,
      opts,
      log: opts.log,
      entries: new Map(),
      peerBook,
      resume: new FastResume(opts.store.dir, opts.log),
      globalLimits: new GlobalLimits(),
      hashing: new AbortController(),
      events: this,
      realRoots,
      settings: DEFAULT_ENGINE_SETTINGS,
      altSpeed: false,
      stopped: false,
    };
    this.#shareFiles = new ShareFiles(this.#core);
    client.on('error', (err: Error) => {
      if (this.#core.stopped) return;
      opts.log.error({ err }, 'BitTorrent client failed');
      this.emit('fatal', err);
    });
  }

  static async start(opts: EngineOptions): Promise<TorrentEngine> {
    const realRoots = await resolveShareRoots(opts.shareRoots);
    // Every outgoing connection passes the dial guard (refused until the engine exists).
    const peerBook = new PeerBook();
    let ready = false;
    const client = await listen(opts.ports, opts.encryption ?? 'preferred', opts.log, (addr, t, source) =>
      ready ? mayDial(opts.dialGuard, peerBook, opts.log, addr, t, source) : false,
    );
    try {
      opts.prepare?.(client);
    } catch (err) {
      client.destroy();
      throw err;
    }
    const engine = new TorrentEngine(client, opts, realRoots, peerBook);
    ready = true;
    if (opts.settings) engine.applySettings(opts.settings);
    await opts.store.init();
    await restore(engine.#core);
    engine.#ticker = setInterval(() => tick(engine.#core, ++engine.#ticks), TICK_MS).unref();
    return engine;
  }

  get port(): number {
    const client = this.#core.client;
    return client.address()?.port ?? client.torrentPort;
  }

  get engineId(): string {
    return this.#core.opts.engineId;
  }

  /** Where sharing and saving are allowed (the download dir included). */
  get shareRoots(): readonly string[] {
    return this.#core.opts.shareRoots;
  }

  get log(): Logger {
    return this.#core.log;
  }

  /** The torrent of `hash` (null while it failed) and the real share roots: streaming/ reads its files. */
  streamSource(hash: string): { torrent: Torrent | null; roots: readonly string[] } {
    return { torrent: getEntry(this.#core, hash).torrent, roots: this.#core.realRoots };
  }

  // ---- adding and removing (engine/add-remove.ts) ----------------------------------------

  addPath(requested: string, opts: AddOptions = {}): Promise<AddResult> {
    return addPath(this.#core, requested, opts);
  }

  addHash(hash: string, savePath?: string, opts: AddOptions = {}): Promise<AddResult> {
    return addDownload(this.#core, hash, null, savePath, opts);
  }

  /** Add a torrent from its metainfo (a .torrent file): downloads from peers into the save path. */
  addTorrentFile(metainfo: Uint8Array, savePath?: string, opts: AddOptions = {}): Promise<AddResult> {
    return addTorrentFile(this.#core, metainfo, savePath, opts);
  }

  /** Remove a torrent; with `deleteData`, also its files (see engine/add-remove.ts). */
  remove(hash: string, deleteData = false): Promise<void> {
    return remove(this.#core, hash, deleteData);
  }

  // ---- controls (engine/torrent-controls.ts) ---------------------------------------------

  pause(hash: string): Promise<TorrentStatus> {
    return controls.pause(this.#core, hash);
  }

  resume(hash: string): Promise<TorrentStatus> {
    return controls.resume(this.#core, hash);
  }

  setFiles(hash: string, changes: Parameters<typeof controls.setFiles>[2]): Promise<TorrentStatus> {
    return controls.setFiles(this.#core, hash, changes);
  }

  setSequential(hash: string, sequential: boolean): Promise<TorrentStatus> {
    return controls.setSequential(this.#core, hash, sequential);
  }

  setOptions(
    hash: string,
    opts: { labels?: string[] | undefined; seedLimits?: Partial<SeedLimits> | undefined },
  ): Promise<TorrentStatus> {
    return controls.setOptions(this.#core, hash, opts);
  }

  setLimits(
    hash: string,
    limits: { downloadLimit?: number | null | undefined; uploadLimit?: number | null | undefined },
  ): Promise<TorrentStatus> {
    return controls.setLimits(this.#core, hash, limits);
  }

  queueMove(hash: string, to: 'top' | 'up' | 'down' | 'bottom'): Promise<TorrentStatus> {
    return controls.queueMove(this.#core, hash, to);
  }

  verify(hash: string): Promise<TorrentStatus> {
    return controls.verify(this.#core, hash);
  }

  /** Move the data to another save folder below the share roots, or (`move` false) only look there. */
  setLocation(hash: string, location: string, move: boolean): Promise<TorrentStatus> {
    return setLocation(this.#core, hash, location, move);
  }

  reannounce(hash: string): number {
    return controls.reannounce(this.#core, hash);
  }

  applySettings(settings: EngineSettings): void {
    controls.applySettings(this.#core, settings);
  }

  freeSpace(requested: string): Promise<{ path: string; free: number; total: number }> {
    return freeSpace(this.#core, requested);
  }

  // ---- reading (engine/status.ts) ---------------------------------------------------------

  has(hash: string): boolean {
    return this.#core.entries.has(hash);
  }

  /** Every torrent for `engine.list` pages: ordered by its key, a status built only for those on the page. */
  listView(): ListView<Entry> {
    return {
      items: this.#core.entries.values(),
      addedAt: (e) => e.record.addedAt,
      hash: (e) => e.hash,
      status: (e) => torrentStatus(e, this.engineId),
    };
  }

  /** One torrent's status (every file); `not_found` if this engine does not hold it. */
  status(hash: string): TorrentStatus {
    return torrentStatus(getEntry(this.#core, hash), this.engineId);
  }

  /** Hashes of the torrents in one of `states` (no status built: cheap on every tick). */
  hashesIn(states: readonly TorrentStatus['state'][]): string[] {
    const out: string[] = [];
    for (const e of this.#core.entries.values()) if (states.includes(stateOf(e))) out.push(e.hash);
    return out;
  }

  /** Every torrent for progress events: a seed at rest by its quiet key, its status built on demand. */
  progressView(): ProgressView<Entry> {
    const now = Date.now();
    return {
      items: this.#core.entries.values(),
      hash: (e) => e.hash,
      quietKey: (e) => quietKey(e, now),
      status: (e) => torrentStatus(e, this.engineId),
    };
  }

  /** How many torrents this engine holds (the registry entry's `torrentCount`). */
  get torrentCount(): number {
    return this.#core.entries.size;
  }

  /** For the registry: every torrent, with name and size (and SHA-256) once the metadata is known. */
  summary(): HeldTorrent[] {
    return [...this.#core.entries.values()].map(torrentSummary);
  }

  /** For the registry: one torrent as `summary` lists it, or null when it is not held. */
  summaryOf(hash: string): HeldTorrent | null {
    const entry = this.#core.entries.get(hash);
    return entry ? torrentSummary(entry) : null;
  }

  pieces(hash: string): { pieceCount: number; bitfield: string } {
    return pieceBitfield(getEntry(this.#core, hash));
  }

  peers(hash: string): PeerInfo[] {
    return peerList(getEntry(this.#core, hash).torrent);
  }

  /** A friend's share's file list without downloading it (share-files/). */
  shareFiles(hash: string, endpoints: PeerEndpoint[], timeoutMs?: number): Promise<ShareFileList> {
    return this.#shareFiles.files(hash, endpoints, timeoutMs);
  }

  /** The metadata fetches of `shareFiles` under way (share-files/), for rendezvous. */
  get metadataFetches(): Pick<ShareFiles, 'fetching' | 'isFetching' | 'onFetch'> {
    return this.#shareFiles;
  }

  // ---- placement among engines (engine/ownership.ts) --------------------------------------

  /** Run torrents of an engine that stopped (a takeover's batch, claims already won). */
  adopt(torrents: readonly StoredTorrent[], from: string): Promise<void> {
    return adopt(this.#core, torrents, from);
  }

  drop(hash: string, owner: string): Promise<void> {
    return drop(this.#core, hash, owner);
  }

  // ---- friends' endpoints (engine/peer-book.ts) -------------------------------------------

  /**
   * Remember where friends offer `hash` and connect to the endpoints that are new (the gateway
   * repeats the whole list on every change), or to all of them while a download has no peer.
   */
  setPeers(hash: string, endpoints: PeerEndpoint[]): void {
    const { all, fresh } = this.#core.peerBook.set(hash, endpoints);
    const entry = this.#core.entries.get(hash);
    if (!entry) return;
    const t = entry.torrent;
    const starving = t !== null && !entry.complete && t.numPeers === 0;
    dial(entry, starving ? all : fresh);
  }

  /** Our own public addresses as the gateway knows them: the dial guard's LAN evidence, our side. */
  setOwnPublic(addresses: readonly string[]): void {
    this.#core.opts.dialGuard.setOwnPublic(addresses);
  }

  /** Dial the known endpoints again for incomplete torrents that have no peer (friend restarted…). */
  redial(): void {
    for (const entry of this.#core.entries.values()) {
      const t = entry.torrent;
      if (t && !entry.complete && t.numPeers === 0) dialBook(this.#core.peerBook, entry);
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /**
   * Emit `added` for every torrent (after a restart; the caller's bus is ready by then), in turns
   * of the event loop: each is a status built and a message checked and sent.
   */
  async announceRestored(): Promise<void> {
    const entries = this.#core.entries;
    await inTurns([...entries.values()], TORRENTS_PER_TURN, (e) => {
      if (entries.get(e.hash) === e) this.emit('added', torrentStatus(e, this.engineId));
    });
  }

  async stop(): Promise<void> {
    const core = this.#core;
    core.stopped = true;
    clearInterval(this.#ticker);
    this.#shareFiles.stop();
    await saveBookkeeping(core, true);
    core.hashing.abort(new Error('the engine is stopping'));
    for (const e of core.entries.values()) e.trackers?.stop();
    // Bitfields as they are now, written once no more data arrives.
    const resume = core.resume.snapshot();
    await new Promise<void>((resolve) => core.client.destroy(() => resolve()));
    await core.resume.write(resume);
  }
}
