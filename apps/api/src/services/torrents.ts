import {
  engine,
  fetchAllTorrents,
  type Bus,
  type EngineRegistry,
  type RegisteredEngine,
  type SeedLimits,
  type TorrentStatus,
} from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import type { TorrentsView } from '../cluster/views.js';
import { HttpProblem, problemOfBusError, unwrapOrProblem } from '../problem.js';

export type Registry = Pick<EngineRegistry, 'live'>;

export interface Added {
  torrent: TorrentStatus;
  /** False when an engine already held the torrent. */
  created: boolean;
}

export interface AddOptions {
  savePath?: string | undefined;
  trackers?: string[] | undefined;
  /** Piece order of a download (qBittorrent's names in REST). */
  sequentialDownload?: boolean | undefined;
  firstLastPiecePrio?: boolean | undefined;
}

/** The download order options of an add request. */
function orderOf(opts: AddOptions) {
  return {
    ...(opts.sequentialDownload !== undefined ? { sequential: opts.sequentialDownload } : {}),
    ...(opts.firstLastPiecePrio ? { firstLastPiecesFirst: true } : {}),
  };
}

const notFound = (hash: string) => new HttpProblem(404, 'not_found', `no torrent with hash ${hash}`);

/**
 * The torrents of every live engine, as the REST routes use them: engines are found in the KV
 * registry, commands for one torrent go to the engine that holds it. Errors are thrown as
 * `HttpProblem`s (a service nobody runs is 503, a hash no engine holds 404).
 */
export class TorrentService {
  constructor(
    private readonly bus: Bus,
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly addPathTimeoutMs: number,
    /** The cached listing (see cluster/views.ts): `list()` reads it, every change invalidates it. */
    private readonly view?: TorrentsView,
  ) {}

  /** Run a change; whatever it did (also a failure half-way), the cached listing is stale. */
  async #change<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      this.view?.invalidate();
    }
  }

  async engines(): Promise<RegisteredEngine[]> {
    try {
      return await this.registry.live();
    } catch (err) {
      this.log.warn({ err }, 'engine registry unreadable');
      throw new HttpProblem(
        503,
        'unavailable',
        `service unavailable: engine registry: ${(err as Error).message}`,
      );
    }
  }

  /** One engine's torrents; an engine that fails is logged and counts as holding none. */
  async #listOf(engineId: string): Promise<TorrentStatus[]> {
    const r = await fetchAllTorrents(this.bus, engineId, { timeoutMs: this.timeoutMs });
    if (r.ok) return r.value;
    this.log.warn({ engineId, code: r.error.code, error: r.error.message }, 'engine left out of the list');
    return [];
  }

  /**
   * `{"torrents": [...]}` as UTF-8 JSON, computed once per change of the cached listing (the
   * statuses are contract-checked already; bytes, so not even the encoding is repeated per
   * request); null without a cache.
   */
  async listJson(): Promise<Buffer | null> {
    if (!this.view) return null;
    const view = this.view;
    try {
      return await view.memo('v1.torrents', (s) =>
        Buffer.from(JSON.stringify({ torrents: s.torrents, total: s.torrents.length })),
      );
    } catch (err) {
      this.log.warn({ err }, 'engine registry unreadable');
      throw new HttpProblem(
        503,
        'unavailable',
        `service unavailable: engine registry: ${(err as Error).message}`,
      );
    }
  }

  async list(): Promise<TorrentStatus[]> {
    if (this.view) {
      try {
        return (await this.view.get()).torrents;
      } catch (err) {
        this.log.warn({ err }, 'engine registry unreadable');
        throw new HttpProblem(
          503,
          'unavailable',
          `service unavailable: engine registry: ${(err as Error).message}`,
        );
      }
    }
    const engines = await this.engines();
    const lists = await Promise.all(engines.map((e) => this.#listOf(e.state.engineId)));
    return lists.flat();
  }

  /**
   * The torrent with `hash` (from the engine the registry names, else from every engine: the
   * registry lags a just-added torrent by up to one write).
   */
  async get(hash: string): Promise<TorrentStatus> {
    const found = await this.find(hash);
    if (!found) throw notFound(hash);
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

  async addPath(path: string, opts: AddOptions = {}): Promise<Added> {
    return this.#change(async () => {
      return unwrapOrProblem(
        await this.bus.request(
          engine.addPath,
          { path, ...(opts.trackers?.length ? { trackers: opts.trackers } : {}) },
          { timeoutMs: this.addPathTimeoutMs },
        ),
      );
    });
  }

  /** A folder below the share roots, listed by any engine (the path picker); no path: the roots. */
  async browse(path: string | undefined) {
    return unwrapOrProblem(
      await this.bus.request(engine.browse, path === undefined ? {} : { path }, {
        timeoutMs: this.timeoutMs,
      }),
    );
  }

  /** Download a friend's share (or a magnet's torrent). Idempotent: a held hash is answered as is. */
  async addHash(hash: string, opts: AddOptions = {}): Promise<Added> {
    return this.#change(async () => {
      const held = await this.find(hash);
      if (held) return { torrent: held, created: false };
      return unwrapOrProblem(
        await this.bus.request(
          engine.addHash,
          {
            hash,
            ...(opts.savePath ? { savePath: opts.savePath } : {}),
            ...(opts.trackers?.length ? { trackers: opts.trackers } : {}),
            ...orderOf(opts),
          },
          { timeoutMs: this.timeoutMs },
        ),
      );
    });
  }

  async addMetainfo(metainfo: Buffer, opts: AddOptions = {}): Promise<Added> {
    return this.#change(async () => {
      return unwrapOrProblem(
        await this.bus.request(
          engine.addTorrentFile,
          {
            metainfo: metainfo.toString('base64'),
            ...(opts.savePath ? { savePath: opts.savePath } : {}),
            ...(opts.trackers?.length ? { trackers: opts.trackers } : {}),
            ...orderOf(opts),
          },
          { timeoutMs: this.timeoutMs },
        ),
      );
    });
  }

  async #owner(hash: string): Promise<string> {
    const found = await this.find(hash);
    if (!found) throw notFound(hash);
    return found.engineId;
  }

  async pause(hash: string): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      return unwrapOrProblem(
        await this.bus.request(engine.pause, { hash }, { params: { engineId }, timeoutMs: this.timeoutMs }),
      ).torrent;
    });
  }

  async resume(hash: string): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      return unwrapOrProblem(
        await this.bus.request(engine.resume, { hash }, { params: { engineId }, timeoutMs: this.timeoutMs }),
      ).torrent;
    });
  }

  /** Labels and seeding limits (engine.set-options). */
  async setOptions(
    hash: string,
    options: { labels?: string[] | undefined; seedLimits?: Partial<SeedLimits> | undefined },
  ): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      const request = {
        hash,
        ...(options.labels !== undefined ? { labels: options.labels } : {}),
        ...(options.seedLimits !== undefined ? { seedLimits: options.seedLimits } : {}),
      };
      return unwrapOrProblem(
        await this.bus.request(engine.setOptions, request, {
          params: { engineId },
          timeoutMs: this.timeoutMs,
        }),
      ).torrent;
    });
  }

  /** Re-hash the data on disk (engine.verify). */
  async verify(hash: string): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      return unwrapOrProblem(
        await this.bus.request(engine.verify, { hash }, { params: { engineId }, timeoutMs: this.timeoutMs }),
      ).torrent;
    });
  }

  /** Dial the friends who share it again (engine.reannounce): how many endpoints were dialled. */
  async reannounce(hash: string): Promise<number> {
    const engineId = await this.#owner(hash);
    return unwrapOrProblem(
      await this.bus.request(
        engine.reannounce,
        { hash },
        { params: { engineId }, timeoutMs: this.timeoutMs },
      ),
    ).dialled;
  }

  async setFiles(hash: string, files: { index: number; wanted: boolean }[]): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      return unwrapOrProblem(
        await this.bus.request(
          engine.setFiles,
          { hash, files },
          { params: { engineId }, timeoutMs: this.timeoutMs },
        ),
      ).torrent;
    });
  }

  async setLimits(
    hash: string,
    limits: { downloadLimit?: number | null | undefined; uploadLimit?: number | null | undefined },
  ): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      const request = {
        hash,
        ...(limits.downloadLimit !== undefined ? { downloadLimit: limits.downloadLimit } : {}),
        ...(limits.uploadLimit !== undefined ? { uploadLimit: limits.uploadLimit } : {}),
      };
      return unwrapOrProblem(
        await this.bus.request(engine.setLimits, request, {
          params: { engineId },
          timeoutMs: this.timeoutMs,
        }),
      ).torrent;
    });
  }

  /** In-order (true) or rarest-first piece selection. */
  async setSequential(hash: string, sequential: boolean): Promise<TorrentStatus> {
    return this.#change(async () => {
      const engineId = await this.#owner(hash);
      return unwrapOrProblem(
        await this.bus.request(
          engine.setSequential,
          { hash, sequential },
          { params: { engineId }, timeoutMs: this.timeoutMs },
        ),
      ).torrent;
    });
  }

  /**
   * Remove from every engine that holds it. An owner answering not_found had already dropped
   * it; no owner at all (or only not_found answers) is 404.
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
          this.bus.request(
            engine.remove,
            { hash, deleteData },
            { params: { engineId }, timeoutMs: this.timeoutMs },
          ),
        ),
      );
      for (const r of results) if (!r.ok && r.error.code !== 'not_found') throw problemOfBusError(r.error);
      if (!results.some((r) => r.ok)) throw notFound(hash);
    });
  }
}
