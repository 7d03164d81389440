import { EventEmitter } from 'node:events';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { BusError, type Endpoint, type Logger, type TorrentStatus } from '@bitween/messages';
import WebTorrent, { type Torrent } from 'webtorrent';
import { createTorrentFile } from './hashing/create-torrent-file.js';
import { checkAllowed, filesOutside, isInside } from './paths.js';
import { pieceLengthFor } from './piece-length.js';
import { FastResume } from './resume/fast-resume.js';
import type { StateStore, TorrentRecord } from './state-store.js';

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

export interface EngineOptions {
  engineId: string;
  downloadDir: string;
  allowedPaths: string[];
  ports: { from: number; to: number };
  store: StateStore;
  log: Logger;
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
  readonly #resume: FastResume;
  /** Torrent creations under way, stopped at shutdown. */
  readonly #hashing = new AbortController();
  #stopped = false;

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
    const client = await listen(opts.ports, opts.log);
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
    const allowed = await checkAllowed(abs, this.opts.allowedPaths);
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
      }));
    } catch (err) {
      throw new BusError('failed', `could not read ${abs}: ${(err as Error).message}`);
    }
    const existing = this.#entries.get(infoHash);
    if (existing) return { torrent: this.#status(existing), created: false };

    const record: TorrentRecord = {
      hash: infoHash,
      source: 'path',
      savePath: path.dirname(real),
      addedAt: Date.now(),
    };
    // The data was hashed a moment ago: no need to verify it again.
    const entry = this.#attach(record, torrentFile, true);
    this.opts.log.info({ hash: infoHash, path: real, size, ms: Date.now() - started }, 'sharing path');
    // The record makes the torrent exist on restart: written last.
    await this.opts.store.saveMetadata(infoHash, torrentFile);
    await this.opts.store.save(record);
    await this.#settled(entry);
    return { torrent: this.#status(entry), created: true };
  }

  async addHash(hash: string, savePath?: string): Promise<{ torrent: TorrentStatus; created: boolean }> {
    const existing = this.#entries.get(hash);
    if (existing) return { torrent: this.#status(existing), created: false };
    const dir = path.resolve(savePath ?? this.opts.downloadDir);
    const roots = this.opts.allowedPaths;
    if (roots.length > 0 && !roots.some((r) => isInside(path.resolve(r), dir))) {
      throw new BusError('failed', `${dir} is outside the allowed paths (BITWEEN_ALLOWED_PATHS)`);
    }
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new BusError('failed', `cannot create ${dir}: ${(err as Error).message}`);
    }
    const allowed = await checkAllowed(dir, roots);
    if (!allowed.ok) throw new BusError('failed', allowed.reason);
    // The same hash may have been added while we were creating the folder.
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
    await this.#resume.forget(hash);
    if (entry.torrent && !entry.torrent.destroyed) {
      await this.client.remove(entry.torrent, { destroyStore: false });
    }
    await this.opts.store.remove(hash);
    this.opts.log.info({ hash }, 'removed (files kept)');
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
    this.#hashing.abort(new Error('the engine is stopping'));
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
    stored.forEach(({ record, torrentFile }, i) => {
      const decision = decisions[i];
      const bitfield = decision?.kind === 'resume' ? decision.bitfield : undefined;
      const entry = this.#attach(record, torrentFile, false, bitfield);
      if (torrentFile) checking.push(entry);
    });
    if (stored.length === 0) return;
    const resumed = decisions.filter((d) => d?.kind === 'resume').length;
    this.opts.log.info({ torrents: stored.length, resumed }, 'restored torrents');
    void Promise.all(checking.map((e) => this.#settled(e))).then(() =>
      this.opts.log.info(
        { torrents: checking.length, resumed, verified: checking.length - resumed, ms: Date.now() - started },
        'restored torrents ready',
      ),
    );
  }

  #attach(
    record: TorrentRecord,
    torrentFile: Uint8Array | null,
    skipVerify: boolean,
    bitfield?: Uint8Array,
  ): Entry {
    const torrent = this.client.add(torrentFile ?? `magnet:?xt=urn:btih:${record.hash}`, {
      path: record.savePath,
      skipVerify,
      announce: [],
      ...(bitfield ? { bitfield } : {}),
    });
    const entry: Entry = { hash: record.hash, record, torrent, hasMetadata: false, error: null };
    this.#entries.set(record.hash, entry);
    this.#resume.track(record.hash, torrent, record.savePath, bitfield);
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
    const outside = filesOutside(entry.record.savePath, torrent.files);
    if (outside.length > 0) {
      entry.error = `refused: file names leave the save path (${outside.slice(0, 3).join(', ')})`;
      this.opts.log.warn(
        { hash: entry.hash, files: outside.slice(0, 10) },
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
async function listen(ports: { from: number; to: number }, log: Logger): Promise<WebTorrent> {
  for (let port = ports.from; port <= ports.to; port++) {
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
    if (!inUse || port === ports.to) {
      throw new Error(`cannot listen for BitTorrent on port ${port} (BITWEEN_TORRENT_PORT): ${err.message}`);
    }
    log.debug({ port }, 'port in use, trying the next');
  }
  throw new Error('BITWEEN_TORRENT_PORT: empty port range');
}

/** Seconds to completion at the current download rate; null when done, stalled or unknown. */
function etaSeconds(t: Torrent): number | null {
  if (t.done || !t.ready) return null;
  const rate = t.downloadSpeed;
  if (!(rate > 0)) return null;
  return Math.max(0, Math.round((t.length - t.downloaded) / rate));
}
