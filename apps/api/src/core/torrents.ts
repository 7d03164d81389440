import {
  chunkByBytes,
  engine,
  pageBudget,
  type FilePriority,
  type PeerInfo,
  type Result,
  type SeedLimits,
  type TorrentStatus,
} from '@bitween/messages';
import { fetchAllTorrents, type Bus, type RegisteredEngine, type Subscription } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import type { TorrentsSnapshot } from './cache/list-torrents.js';
import type { TorrentsView } from './cache/views.js';
import { CoreError, reading, torrentNotFound, unwrap } from './errors.js';
import type { Registry } from './registry.js';
import type { Surface } from './surface.js';

/** The largest .torrent file the api takes (the engine contract's limit: one NATS message). */
export const MAX_METAINFO_BYTES = engine.MAX_METAINFO_BYTES;

export type { TorrentsSnapshot };

export interface Added {
  torrent: TorrentStatus;
  /** False when an engine already held the torrent. */
  created: boolean;
}

export interface AddOptions {
  savePath?: string | undefined;
  trackers?: string[] | undefined;
  /** Piece order of a download. */
  sequentialDownload?: boolean | undefined;
  firstLastPiecePrio?: boolean | undefined;
  /** Friends (bare JIDs) known to offer it besides those whose lists do (e.g. the sender of an offer). */
  friends?: string[] | undefined;
}

/**
 * A torrent a command is for: its hash (the owner is looked up), or a torrent from a listing
 * (its `engineId` is the owner: no lookup).
 */
export type Target = string | Pick<TorrentStatus, 'hash' | 'engineId'>;

export type QueueMove = 'top' | 'up' | 'down' | 'bottom';

/** The download order options of an add request. */
function orderOf(opts: AddOptions) {
  return {
    ...(opts.sequentialDownload !== undefined ? { sequential: opts.sequentialDownload } : {}),
    ...(opts.firstLastPiecePrio ? { firstLastPiecesFirst: true } : {}),
  };
}

export interface TorrentsDeps {
  bus: Bus;
  registry: Registry;
  log: Logger;
  timeoutMs: number;
  /** Sharing a path hashes it first: its own timeout. */
  addPathTimeoutMs: number;
  /** The cached listing (see cache/views.ts): listings read it, every change invalidates it. */
  view: TorrentsView;
  /** The friends whose lists offer a hash (recorded with a download of it); none when unknown. */
  friendsOf?: (hash: string) => Promise<string[]>;
}

/**
 * The torrents of every live engine, for every front-end (REST, JSON-RPC, Transmission): the
 * engines are found in the KV registry, a command for one torrent goes to the engine that holds
 * it. Throws `CoreError`s only (a registry nobody can read is `unavailable`, a hash no engine
 * holds `not_found`, an engine's refusal keeps its bus code).
 *
 * Owner lookup: the engines the registry names first, then every other live engine (the
 * registry lags a just-added torrent by up to one heartbeat). Adding a hash is idempotent over
 * that lookup; removing falls back to it when the registry does not name an owner yet.
 */
export class TorrentService {
  readonly #subs: Subscription[] = [];

  constructor(private readonly deps: TorrentsDeps) {}

  /** Run a change; whatever it did (also a failure half-way), the cached listing is stale. */
  async #change<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      this.deps.view.invalidate();
    }
  }

  /** Call options for a command at one engine. */
  #at(engineId: string) {
    return { params: { engineId }, timeoutMs: this.deps.timeoutMs };
  }

  /** The live engines of the registry. */
  async engines(): Promise<RegisteredEngine[]> {
    try {
      return await this.deps.registry.live();
    } catch (err) {
      this.deps.log.warn({ err }, 'engine registry unreadable');
      throw new CoreError('unavailable', `engine registry: ${(err as Error).message}`);
    }
  }

  /** Every torrent of every live engine (the cached listing; engines that did not answer in `failed`). */
  async snapshot(): Promise<TorrentsSnapshot> {
    return this.#read(() => this.deps.view.get());
  }

  async list(): Promise<TorrentStatus[]> {
    return (await this.snapshot()).torrents;
  }

  /**
   * `derive(snapshot)` computed once per change of the cached listing (a front-end's serialised
   * answer: a 1,000-torrent listing is ~300 KB of JSON).
   */
  async derived<R>(key: string, derive: (snapshot: TorrentsSnapshot) => R): Promise<R> {
    return this.#read(() => this.deps.view.memo(key, derive));
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await reading('engine registry', read);
    } catch (err) {
      this.deps.log.warn({ err }, 'engine registry unreadable');
      throw err;
    }
  }

  /** Something changed outside a call of ours (the listing is read again on next use). */
  invalidate(): void {
    this.deps.view.invalidate();
  }

  /** `onRemoved(hash)` for every torrent any engine removes (through any front-end); returns the unsubscribe. */
  onRemoved(onRemoved: (hash: string) => void): () => void {
    const sub = this.deps.bus.subscribe(engine.removed, ({ hash }) => onRemoved(hash));
    this.#subs.push(sub);
    return () => sub.unsubscribe();
  }

  /** One engine's torrents; an engine that fails is logged and counts as holding none. */
  async #listOf(engineId: string): Promise<TorrentStatus[]> {
    const r = await fetchAllTorrents(this.deps.bus, engineId, { timeoutMs: this.deps.timeoutMs });
    if (r.ok) return r.value;
    this.deps.log.warn(
      { engineId, code: r.error.code, error: r.error.message },
      'engine left out of the list',
    );
    return [];
  }

  /** The torrent with `hash`, asked of its owner (see the class comment); `not_found` if none holds it. */
  async get(hash: string): Promise<TorrentStatus> {
    const found = await this.find(hash);
    if (!found) throw torrentNotFound(hash);
    return found;
  }

  async find(hash: string): Promise<TorrentStatus | undefined> {
    const engines = await this.engines();
    const owners = engines.filter((e) => e.state.torrents.some((t) => t.hash === hash));
    for (const candidates of [owners, engines.filter((e) => !owners.includes(e))]) {
      const lists = await Promise.all(candidates.map((e) => this.#listOf(e.state.engineId)));
      const hit = lists.flat().find((t) => t.hash === hash);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Share a file or folder on the daemon's host (any engine takes it: queue group). */
  async addPath(path: string, opts: Pick<AddOptions, 'trackers'> = {}): Promise<Added> {
    return this.#change(async () =>
      unwrap(
        await this.deps.bus.request(
          engine.addPath,
          { path, ...(opts.trackers?.length ? { trackers: opts.trackers } : {}) },
          { timeoutMs: this.deps.addPathTimeoutMs },
        ),
      ),
    );
  }

  /** A folder below the share roots, listed by any engine (the path picker); no path: the roots. */
  async browse(path: string | undefined) {
    return unwrap(
      await this.deps.bus.request(engine.browse, path === undefined ? {} : { path }, {
        timeoutMs: this.deps.timeoutMs,
      }),
    );
  }

  /**
   * Download a friend's share (or a magnet's torrent). Idempotent: a hash any live engine holds
   * is answered as is (`created: false`, even if `savePath` differs: it stays where it is).
   */
  async addHash(hash: string, opts: AddOptions = {}): Promise<Added> {
    return this.#change(async () => {
      const held = await this.find(hash);
      if (held) return { torrent: held, created: false };
      const friends = [...new Set([...(opts.friends ?? []), ...(await this.#friendsOf(hash))])];
      return unwrap(
        await this.deps.bus.request(
          engine.addHash,
          {
            hash,
            ...(opts.savePath ? { savePath: opts.savePath } : {}),
            ...(opts.trackers?.length ? { trackers: opts.trackers } : {}),
            ...orderOf(opts),
            ...(friends.length > 0 ? { friends } : {}),
          },
          { timeoutMs: this.deps.timeoutMs },
        ),
      );
    });
  }

  /** Add a .torrent file (at most `MAX_METAINFO_BYTES`); the engine answers `created: false` for one it holds. */
  async addMetainfo(metainfo: Buffer, opts: AddOptions = {}): Promise<Added> {
    if (metainfo.length === 0) throw new CoreError('invalid_request', 'the .torrent file is empty');
    if (metainfo.length > MAX_METAINFO_BYTES) {
      throw new CoreError('too_large', `a .torrent file is at most ${MAX_METAINFO_BYTES} bytes`);
    }
    return this.#change(async () =>
      unwrap(
        await this.deps.bus.request(
          engine.addTorrentFile,
          {
            metainfo: metainfo.toString('base64'),
            ...(opts.savePath ? { savePath: opts.savePath } : {}),
            ...(opts.trackers?.length ? { trackers: opts.trackers } : {}),
            ...orderOf(opts),
          },
          { timeoutMs: this.deps.timeoutMs },
        ),
      ),
    );
  }

  /** Whose share it is; a download goes on without it when the friends' lists cannot be read. */
  async #friendsOf(hash: string): Promise<string[]> {
    try {
      return (await this.deps.friendsOf?.(hash)) ?? [];
    } catch (err) {
      this.deps.log.warn({ hash, err }, "friends' lists unreadable: the download records no friend");
      return [];
    }
  }

  async #owner(target: Target): Promise<{ hash: string; engineId: string }> {
    if (typeof target !== 'string') return target;
    const found = await this.find(target);
    if (!found) throw torrentNotFound(target);
    return found;
  }

  /** A per-torrent command at the torrent's owner; the cached listing is stale afterwards. */
  async #command<R>(
    target: Target,
    send: (t: { hash: string; engineId: string }) => Promise<Result<R>>,
  ): Promise<R> {
    return this.#change(async () => unwrap(await send(await this.#owner(target))));
  }

  async pause(target: Target): Promise<TorrentStatus> {
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(engine.pause, { hash: t.hash }, this.#at(t.engineId)),
      )
    ).torrent;
  }

  async resume(target: Target): Promise<TorrentStatus> {
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(engine.resume, { hash: t.hash }, this.#at(t.engineId)),
      )
    ).torrent;
  }

  /** Labels and seeding limits (engine.set-options). */
  async setOptions(
    target: Target,
    options: { labels?: string[] | undefined; seedLimits?: Partial<SeedLimits> | undefined },
  ): Promise<TorrentStatus> {
    const { labels, seedLimits } = options;
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(
          engine.setOptions,
          {
            hash: t.hash,
            ...(labels !== undefined ? { labels } : {}),
            ...(seedLimits !== undefined ? { seedLimits } : {}),
          },
          this.#at(t.engineId),
        ),
      )
    ).torrent;
  }

  /** Re-hash the data on disk (engine.verify). */
  async verify(target: Target): Promise<TorrentStatus> {
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(engine.verify, { hash: t.hash }, this.#at(t.engineId)),
      )
    ).torrent;
  }

  /**
   * Move its data to another folder below the share roots (`move`), or only look for it there
   * (engine.set-location). A long move goes on after the answer (the torrent paused meanwhile).
   */
  async setLocation(target: Target, location: string, move: boolean): Promise<TorrentStatus> {
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(
          engine.setLocation,
          { hash: t.hash, location, move },
          { ...this.#at(t.engineId), timeoutMs: Math.max(this.deps.timeoutMs, 10_000) },
        ),
      )
    ).torrent;
  }

  /** Dial the friends who share it again (engine.reannounce): how many endpoints were dialled. */
  async reannounce(target: Target): Promise<number> {
    const t = await this.#owner(target);
    return unwrap(await this.deps.bus.request(engine.reannounce, { hash: t.hash }, this.#at(t.engineId)))
      .dialled;
  }

  /** Files' selection and/or priority by index (what is not named stays). */
  async setFiles(
    target: Target,
    files: { index: number; wanted?: boolean | undefined; priority?: FilePriority | undefined }[],
  ): Promise<TorrentStatus> {
    // A selection over a torrent of 100,000 files is megabytes: sent in chunks that each fit one
    // NATS message, in order; the last answer is the result.
    const chunks = chunkByBytes(files, pageBudget(this.deps.bus.nc.info?.max_payload));
    return (
      await this.#command(target, async (t) => {
        let answer = await this.deps.bus.request(
          engine.setFiles,
          { hash: t.hash, files: chunks[0] ?? [] },
          this.#at(t.engineId),
        );
        for (const chunk of chunks.slice(1)) {
          if (!answer.ok) break;
          answer = await this.deps.bus.request(
            engine.setFiles,
            { hash: t.hash, files: chunk },
            this.#at(t.engineId),
          );
        }
        return answer;
      })
    ).torrent;
  }

  /** Speed limits in bytes/s (null: unlimited, absent: unchanged). */
  async setLimits(
    target: Target,
    limits: { downloadLimit?: number | null | undefined; uploadLimit?: number | null | undefined },
  ): Promise<TorrentStatus> {
    const { downloadLimit, uploadLimit } = limits;
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(
          engine.setLimits,
          {
            hash: t.hash,
            ...(downloadLimit !== undefined ? { downloadLimit } : {}),
            ...(uploadLimit !== undefined ? { uploadLimit } : {}),
          },
          this.#at(t.engineId),
        ),
      )
    ).torrent;
  }

  /** In-order (true) or rarest-first piece selection. */
  async setSequential(target: Target, sequential: boolean): Promise<TorrentStatus> {
    return (
      await this.#command(target, (t) =>
        this.deps.bus.request(engine.setSequential, { hash: t.hash, sequential }, this.#at(t.engineId)),
      )
    ).torrent;
  }

  /** Move a download in its engine's queue. */
  async queueMove(target: Target, to: QueueMove): Promise<void> {
    await this.#command(target, (t) =>
      this.deps.bus.request(engine.queueMove, { hash: t.hash, to }, this.#at(t.engineId)),
    );
  }

  /** Which pieces the engine has (base64 bitfield). */
  async pieces(target: Target): Promise<string> {
    const t = await this.#owner(target);
    return unwrap(await this.deps.bus.request(engine.pieces, { hash: t.hash }, this.#at(t.engineId)))
      .bitfield;
  }

  /** The peers of a torrent now. */
  async peers(target: Target): Promise<PeerInfo[]> {
    const t = await this.#owner(target);
    return unwrap(await this.deps.bus.request(engine.peers, { hash: t.hash }, this.#at(t.engineId))).peers;
  }

  /** Free space of the volume holding `path`, asked of a live engine (engines of one daemon share volumes). */
  async freeSpace(path: string): Promise<{ free: number; total: number }> {
    const first = (await this.engines())[0];
    if (!first) throw new CoreError('unavailable', 'no engine is running');
    return unwrap(await this.deps.bus.request(engine.freeSpace, { path }, this.#at(first.state.engineId)));
  }

  /**
   * Remove from every engine that holds it: the owners the registry names or, when it names none
   * (it lags a just-added torrent), the engine that answers for it. An owner answering
   * not_found had already dropped it; no owner at all (or only not_found answers) is not_found.
   */
  async remove(hash: string, deleteData: boolean): Promise<void> {
    return this.#change(async () => {
      const engines = await this.engines();
      let owners = engines
        .filter((e) => e.state.torrents.some((t) => t.hash === hash))
        .map((e) => e.state.engineId);
      if (owners.length === 0) {
        const found = await this.find(hash);
        if (found) owners = [found.engineId];
      }
      const results = await Promise.all(
        owners.map((engineId) =>
          this.deps.bus.request(engine.remove, { hash, deleteData }, this.#at(engineId)),
        ),
      );
      for (const r of results) if (!r.ok && r.error.code !== 'not_found') unwrap(r);
      if (!results.some((r) => r.ok)) throw torrentNotFound(hash);
    });
  }

  /** Stop following events. */
  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}

/** What the adapters see of the torrents (see surface.ts). */
export type Torrents = Surface<TorrentService>;
