import { EventEmitter } from 'node:events';
import { access, constants, mkdir, readdir, stat } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { BusError, type Endpoint, type Logger, type TorrentStatus } from '@bitween/messages';
import createTorrent from 'create-torrent';
import parseTorrent from 'parse-torrent';
import WebTorrent, { type Torrent } from 'webtorrent';
import { ExactNameStore } from './file-store.js';
import { checkAllowed, filesOutside, isInside } from './paths.js';
import { pieceLengthFor } from './piece-length.js';
import { checkInfo } from './sanitize.js';
import type { StateStore, TorrentRecord } from './state-store.js';

const createTorrentAsync = promisify(createTorrent);

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
} as const;

interface Entry {
  readonly hash: string;
  readonly record: TorrentRecord;
  torrent: Torrent | null;
  hasMetadata: boolean;
  error: string | null;
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
}

export interface EngineEvents {
  /** The set of torrents, or what is known of one (metadata, completion, error), changed. */
  changed: [];
  /** The BitTorrent client died (e.g. its listening socket failed); the engine must restart. */
  fatal: [Error];
}

const peerAddress = (e: Endpoint) =>
  isIPv6(e.address) ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;

/**
 * The BitTorrent side of bitween, on webtorrent: shares paths in place, downloads by
 * info-hash from peers it is given, and keeps every torrent on disk across restarts.
 */
export class TorrentEngine extends EventEmitter<EngineEvents> {
  readonly #entries = new Map<string, Entry>();
  /** Endpoints friends advertise per info-hash (from the gateway), for dialling and redialling. */
  readonly #peerBook = new Map<string, string[]>();
  #stopped = false;

  private constructor(
    private readonly client: WebTorrent,
    private readonly opts: EngineOptions,
  ) {
    super();
    client.on('error', (err: Error) => {
      if (this.#stopped) return;
      opts.log.error({ err }, 'BitTorrent client failed');
      this.emit('fatal', err);
    });
  }

  static async start(opts: EngineOptions): Promise<TorrentEngine> {
    const client = await listen(opts.ports, opts.log);
    try {
      opts.prepare?.(client);
    } catch (err) {
      client.destroy();
      throw err;
    }
    const engine = new TorrentEngine(client, opts);
    await opts.store.init();
    await engine.#restore();
    return engine;
  }

  get port(): number {
    return this.client.address()?.port ?? this.client.torrentPort;
  }

  get engineId(): string {
    return this.opts.engineId;
  }

  // ---- commands ----------------------------------------------------------------------------

  async addPath(requested: string): Promise<{ torrent: TorrentStatus; created: boolean }> {
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
    const size = info.isFile() ? info.size : await folderSize(real);
    const started = Date.now();
    let torrentFile: Uint8Array;
    try {
      torrentFile = await createTorrentAsync(real, {
        createdBy: 'bitween',
        announceList: [],
        urlList: [],
        pieceLength: pieceLengthFor(size),
      });
    } catch (err) {
      throw new BusError('failed', `could not read ${abs}: ${(err as Error).message}`);
    }
    const { infoHash } = await parseTorrent(torrentFile);
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
    };
    // The data was hashed a moment ago: no need to verify it again.
    const entry = this.#attach(record, torrentFile, true);
    this.opts.log.info({ hash: infoHash, path: real, size, ms: Date.now() - started }, 'sharing path');
    await this.opts.store.save(record);
    await this.opts.store.saveMetadata(infoHash, torrentFile);
    await this.#settled(entry);
    return { torrent: this.#status(entry), created: true };
  }

  async addHash(hash: string, savePath?: string): Promise<{ torrent: TorrentStatus; created: boolean }> {
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
      await mkdir(dir, { recursive: true });
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
    const record: TorrentRecord = { hash, source: 'hash', savePath: allowed.real, addedAt: Date.now() };
    const entry = this.#attach(record, null, false);
    this.opts.log.info({ hash, savePath: record.savePath }, 'downloading');
    await this.opts.store.save(record);
    return { torrent: this.#status(entry), created: true };
  }

  async remove(hash: string): Promise<void> {
    const entry = this.#entries.get(hash);
    if (!entry)
      throw new BusError('not_found', `no torrent with hash ${hash} on engine ${this.opts.engineId}`);
    this.#entries.delete(hash);
    if (entry.torrent && !entry.torrent.destroyed) {
      await this.client.remove(entry.torrent, { destroyStore: false });
    }
    await this.opts.store.remove(hash);
    await this.opts.placement?.release(hash).catch((err: unknown) => {
      this.opts.log.warn({ hash, err }, 'could not release the torrent claim');
    });
    this.opts.log.info({ hash }, 'removed (files kept)');
    this.emit('changed');
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
    this.#attach(record, torrentFile, false);
    await this.opts.store.save(record);
    if (torrentFile) await this.opts.store.saveMetadata(record.hash, torrentFile);
    this.opts.log.info({ hash: record.hash, from, savePath: record.savePath }, 'took over a torrent');
  }

  /** Another engine now runs `hash` (we were presumed dead): stop it here, keep the files. */
  async drop(hash: string, owner: string): Promise<void> {
    const entry = this.#entries.get(hash);
    if (!entry) return;
    this.#entries.delete(hash);
    if (entry.torrent && !entry.torrent.destroyed) {
      await this.client.remove(entry.torrent, { destroyStore: false });
    }
    await this.opts.store.remove(hash);
    this.opts.log.warn({ hash, owner }, 'another engine took this torrent over; stopped it here');
    this.emit('changed');
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
  setPeers(hash: string, endpoints: Endpoint[]): void {
    const addresses = endpoints.map(peerAddress);
    const known = new Set(this.#peerBook.get(hash) ?? []);
    this.#peerBook.set(hash, addresses);
    const entry = this.#entries.get(hash);
    if (!entry) return;
    const t = entry.torrent;
    const starving = t !== null && !t.done && t.numPeers === 0;
    this.#dial(entry, starving ? addresses : addresses.filter((a) => !known.has(a)));
  }

  /** Dial the known endpoints again for incomplete torrents that have no peer (friend restarted…). */
  redial(): void {
    for (const entry of this.#entries.values()) {
      const t = entry.torrent;
      if (t && !t.done && t.numPeers === 0) this.#dial(entry, this.#peerBook.get(entry.hash) ?? []);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await new Promise<void>((resolve) => this.client.destroy(() => resolve()));
  }

  // ---- internals ---------------------------------------------------------------------------

  async #restore(): Promise<void> {
    const stored = await this.opts.store.load();
    let restored = 0;
    for (const { record, torrentFile } of stored) {
      const claim = await this.opts.placement?.claim(record.hash);
      if (claim && !claim.won) {
        // Taken over by another engine while we were away: it has its own copy of the record.
        this.opts.log.info({ hash: record.hash, owner: claim.owner }, 'torrent now runs elsewhere');
        await this.opts.store.remove(record.hash);
        continue;
      }
      this.#attach(record, torrentFile, false);
      restored++;
    }
    if (restored > 0) this.opts.log.info({ torrents: restored }, 'restored torrents');
  }

  #attach(record: TorrentRecord, torrentFile: Uint8Array | null, skipVerify: boolean): Entry {
    const torrent = this.client.add(torrentFile ?? `magnet:?xt=urn:btih:${record.hash}`, {
      path: record.savePath,
      store: ExactNameStore,
      skipVerify,
      announce: [],
    });
    const entry: Entry = { hash: record.hash, record, torrent, hasMetadata: false, error: null };
    this.#entries.set(record.hash, entry);
    const log = this.opts.log;
    torrent.once('infoHash', () => this.#dial(entry, this.#peerBook.get(entry.hash) ?? []));
    torrent.once('metadata', () => this.#onMetadata(entry, torrent));
    torrent.once('ready', () => this.emit('changed'));
    torrent.once('done', () => {
      if (record.source === 'hash') {
        log.info({ hash: entry.hash, name: torrent.name, bytes: torrent.length }, 'download complete');
      }
      this.emit('changed');
    });
    torrent.on('warning', (err: Error) =>
      log.debug({ hash: entry.hash, err: err.message }, 'torrent warning'),
    );
    torrent.once('error', (err: Error) => {
      // webtorrent destroys a torrent that fails; keep it listed with its error.
      log.error({ hash: entry.hash, err: err.message }, 'torrent failed');
      entry.error = err.message;
      entry.torrent = null;
      this.emit('changed');
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
      torrent.destroy();
      this.emit('changed');
      return;
    }
    entry.hasMetadata = true;
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

  #dial(entry: Entry, addresses: string[]): void {
    const t = entry.torrent;
    if (!t || t.destroyed || !t.infoHash) return;
    // Our own endpoints never arrive here: the gateway leaves them out of `xmpp.peers`.
    for (const a of addresses) t.addPeer(a);
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

  #status(entry: Entry): TorrentStatus {
    const t = entry.torrent;
    const base = {
      hash: entry.hash,
      engineId: this.opts.engineId,
      savePath: entry.record.savePath,
      addedAt: entry.record.addedAt,
      error: entry.error,
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
        uploaded: 0,
        downloadSpeed: 0,
        uploadSpeed: 0,
        peers: 0,
        files: [],
        eta: null,
        downloadLimit: null,
        uploadLimit: null,
        trackers: [],
      };
    }
    const known = entry.hasMetadata;
    const state = !known ? 'metadata' : !t.ready ? 'checking' : t.done ? 'seeding' : 'downloading';
    return {
      ...base,
      name: known ? t.name : null,
      size: known ? t.length : null,
      state,
      progress: t.done ? 1 : Math.min(1, Math.max(0, t.progress || 0)),
      done: t.done,
      downloaded: known ? Math.min(t.downloaded, t.length) : 0,
      uploaded: t.uploaded,
      downloadSpeed: Math.max(0, t.downloadSpeed),
      uploadSpeed: Math.max(0, t.uploadSpeed),
      peers: t.numPeers,
      files: known
        ? t.files.map((f) => ({ path: f.path, size: f.length, wanted: true, downloaded: f.downloaded }))
        : [],
      eta: etaSeconds(t),
      downloadLimit: null,
      uploadLimit: null,
      trackers: [],
    };
  }
}

/** Listen on the first free port of the range (the original used 8000-8020). */
async function listen(ports: EngineOptions['ports'], log: Logger): Promise<WebTorrent> {
  const order: number[] = [];
  if (ports.preferred !== undefined) order.push(ports.preferred);
  for (let p = ports.from; p <= ports.to; p++) if (p !== ports.preferred) order.push(p);
  for (const [i, port] of order.entries()) {
    const client = new WebTorrent({ ...CLIENT_OPTIONS, torrentPort: port });
    const err = await new Promise<Error | null>((resolve) => {
      client.once('listening', () => resolve(null));
      client.once('error', (e: Error) => resolve(e));
    });
    if (!err) {
      log.info({ port: client.address()?.port }, 'BitTorrent listening (TCP)');
      return client;
    }
    client.destroy();
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    if (!inUse || i === order.length - 1) {
      throw new Error(`cannot listen for BitTorrent on port ${port} (BITWEEN_TORRENT_PORT): ${err.message}`);
    }
    log.debug({ port }, 'port in use, trying the next');
  }
  throw new Error('BITWEEN_TORRENT_PORT: empty port range');
}

async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Seconds to completion at the current download rate; null when done, stalled or unknown. */
function etaSeconds(t: Torrent): number | null {
  if (t.done || !t.ready) return null;
  const rate = t.downloadSpeed;
  if (!(rate > 0)) return null;
  return Math.max(0, Math.round((t.length - t.downloaded) / rate));
}
