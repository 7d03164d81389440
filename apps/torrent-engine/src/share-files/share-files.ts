/**
 * `engine.share-files`: the file list of a friend's share, without downloading it. A torrent the
 * engine holds answers from its own metadata; otherwise the metadata is fetched from the
 * friend's endpoints (metadata-probe.ts), at most `maxConcurrent` at a time (more wait, up to
 * `maxWaiting`), one fetch per hash however many ask, and the answer (or the refusal of unsafe
 * names) is kept per hash in a small LRU cache for `ttlMs`.
 */
import { BusError, type PeerEndpoint, type ShareFileList } from '@bitween/messages';
import type { EngineCore } from '../engine/core.js';
import { peerAddress } from '../engine/peer-book.js';
import { fileListOf, type FileListResult } from './file-list.js';
import { probeMetadata, type Probe } from './metadata-probe.js';

export interface ShareFilesLimits {
  maxConcurrent: number;
  maxWaiting: number;
  cacheSize: number;
  ttlMs: number;
  defaultTimeoutMs: number;
}

export const DEFAULT_SHARE_FILES_LIMITS: ShareFilesLimits = {
  maxConcurrent: 4,
  maxWaiting: 64,
  cacheSize: 256,
  ttlMs: 10 * 60_000,
  defaultTimeoutMs: 20_000,
};

const answer = (r: FileListResult): ShareFileList => {
  if (!r.ok) throw new BusError('failed', r.reason);
  return r.list;
};

export class ShareFiles {
  /** hash → the answer and when it was made; Map order is the LRU order (oldest first). */
  readonly #cache = new Map<string, { result: FileListResult; at: number }>();
  readonly #inflight = new Map<
    string,
    { probe: Probe<FileListResult> | null; done: Promise<FileListResult> }
  >();
  readonly #waiting: (() => void)[] = [];
  /** Hashes whose metadata is being fetched now, with where. */
  readonly #fetching = new Map<string, PeerEndpoint[]>();
  readonly #onFetch: ((hash: string, endpoints: PeerEndpoint[]) => void)[] = [];
  #active = 0;

  constructor(
    private readonly core: EngineCore,
    private readonly limits: ShareFilesLimits = DEFAULT_SHARE_FILES_LIMITS,
  ) {}

  async files(hash: string, endpoints: PeerEndpoint[], timeoutMs?: number): Promise<ShareFileList> {
    const deadline = Date.now() + (timeoutMs ?? this.limits.defaultTimeoutMs);
    const held = await this.#held(hash, deadline);
    if (held) return answer(held);
    const cached = this.#cache.get(hash);
    if (cached && Date.now() - cached.at < this.limits.ttlMs) {
      this.#cache.delete(hash);
      this.#cache.set(hash, cached);
      return answer(cached.result);
    }
    const running = this.#inflight.get(hash);
    if (running) return answer(await running.done);
    if (endpoints.length === 0) {
      throw new BusError('unavailable', `no online friend offers ${hash} at an endpoint we could dial`);
    }
    const entry: { probe: Probe<FileListResult> | null; done: Promise<FileListResult> } = {
      probe: null,
      done: Promise.resolve(null as never),
    };
    entry.done = this.#fetch(hash, endpoints, deadline, entry);
    this.#inflight.set(hash, entry);
    try {
      const result = await entry.done;
      this.#remember(hash, result);
      return answer(result);
    } finally {
      this.#inflight.delete(hash);
    }
  }

  /** Hashes whose metadata is being fetched from friends now (rendezvous treats them as wanted). */
  fetching(): Iterable<string> {
    return this.#fetching.keys();
  }

  isFetching(hash: string): boolean {
    return this.#fetching.has(hash);
  }

  /** Call `listener` when a fetch starts (rendezvous: ask the friend to connect, WebRTC or dial back). */
  onFetch(listener: (hash: string, endpoints: PeerEndpoint[]) => void): void {
    this.#onFetch.push(listener);
  }

  /** The engine is stopping: every fetch under way ends now. */
  stop(): void {
    for (const [hash, f] of this.#inflight)
      f.probe?.cancel(new BusError('unavailable', `the engine is stopping; ${hash} not fetched`));
  }

  /** From the torrent the engine holds (waiting for its metadata while it is being fetched), else null. */
  async #held(hash: string, deadline: number): Promise<FileListResult | null> {
    const entry = this.core.entries.get(hash);
    const t = entry?.torrent;
    if (!entry || !t || t.destroyed) return null;
    if (!entry.hasMetadata) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => {
            t.off('metadata', done);
            reject(new BusError('timeout', `the metadata of ${hash} is still being fetched; try again`));
          },
          Math.max(0, deadline - Date.now()),
        );
        function done() {
          clearTimeout(timer);
          resolve();
        }
        t.once('metadata', done);
      });
    }
    return fileListOf(hash, t.info, 'held');
  }

  async #fetch(
    hash: string,
    endpoints: PeerEndpoint[],
    deadline: number,
    entry: { probe: Probe<FileListResult> | null },
  ): Promise<FileListResult> {
    await this.#slot(hash, deadline);
    const core = this.core;
    try {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new BusError('timeout', `too many file lists being fetched; ${hash} waited its whole time`);
      // The dial guard judges each address with the offer it came from (LAN evidence, JID).
      const own = core.entries.has(hash);
      if (!own) core.peerBook.set(hash, endpoints);
      try {
        let probe: Probe<FileListResult>;
        try {
          probe = probeMetadata(core.client, hash, endpoints.map(peerAddress), left, (t) =>
            fileListOf(hash, t.info, 'friend'),
          );
        } catch (err) {
          // (webtorrent refuses a second torrent of one hash: it was added meanwhile.)
          throw new BusError('conflict', `cannot fetch the file list of ${hash}: ${(err as Error).message}`);
        }
        entry.probe = probe;
        core.log.info({ hash, endpoints: endpoints.length }, 'fetching the file list of a friend’s share');
        this.#fetching.set(hash, endpoints);
        for (const listener of this.#onFetch) listener(hash, endpoints);
        const result = await probe.result;
        core.log.info(
          {
            hash,
            files: result.ok ? result.list.totalFiles : null,
            refused: result.ok ? null : result.reason,
          },
          'fetched the file list of a friend’s share',
        );
        return result;
      } finally {
        this.#fetching.delete(hash);
        if (!own && !core.entries.has(hash)) core.peerBook.delete(hash);
      }
    } finally {
      this.#release();
    }
  }

  #remember(hash: string, result: FileListResult): void {
    this.#cache.delete(hash);
    this.#cache.set(hash, { result, at: Date.now() });
    while (this.#cache.size > this.limits.cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }

  async #slot(hash: string, deadline: number): Promise<void> {
    if (this.#active < this.limits.maxConcurrent) {
      this.#active++;
      return;
    }
    if (this.#waiting.length >= this.limits.maxWaiting) {
      throw new BusError('unavailable', `too many file lists being fetched; try ${hash} again later`);
    }
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          const i = this.#waiting.indexOf(go);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new BusError('timeout', `too many file lists being fetched; ${hash} waited its whole time`));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.#waiting.push(go);
    });
    this.#active++;
  }

  #release(): void {
    this.#active--;
    this.#waiting.shift()?.();
  }
}
