import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { decode, encodeJson, EngineTorrent, validate, type EngineState } from '@bitween/messages';
import type { Logger } from './bus.js';
import { followKv, type KvFollowing } from './kv-follow.js';

/** One engine's torrent as readers get it (`EngineState.torrents`). */
export type HeldTorrent = EngineState['torrents'][number];

/** How many KV writes one engine keeps in flight while it brings its keys up to date. */
const WRITES_IN_FLIGHT = 128;

const keyOf = (engineId: string, hash: string) => `${engineId}.${hash}`;

/** `<engineId>.<hash>` → its two parts; null for a key of another shape. */
function splitKey(key: string): { engineId: string; hash: string } | null {
  const dot = key.indexOf('.');
  if (dot <= 0 || key.indexOf('.', dot + 1) >= 0) return null;
  return { engineId: key.slice(0, dot), hash: key.slice(dot + 1) };
}

/**
 * A copy of the whole `bitween_engine_torrents` bucket kept current by a watch: each engine's
 * torrents (readers combine them with the engine's liveness from `bitween_engines`). Changes are
 * reported per engine, at most once per `notifyMs` (the first load of 50,000 keys is a few
 * reports, not 50,000).
 */
export class EngineTorrentsMirror {
  readonly #byEngine = new Map<string, Map<string, EngineTorrent>>();
  readonly #lists = new Map<string, HeldTorrent[]>();
  readonly #listeners = new Set<(engineIds: ReadonlySet<string>) => void>();
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #following: KvFollowing | null = null;

  private constructor(
    private readonly log: Logger,
    private readonly notifyMs: number,
  ) {}

  static async start(opts: {
    kv: KV;
    jsm: JetStreamManager;
    bucket: string;
    log: Logger;
    notifyMs?: number;
  }): Promise<EngineTorrentsMirror> {
    const mirror = new EngineTorrentsMirror(opts.log, opts.notifyMs ?? 100);
    mirror.#following = await followKv({ ...opts, key: '>', onEntry: (e) => mirror.#apply(e) });
    return mirror;
  }

  /** The torrents an engine's keys name (whether or not the engine is alive), ordered by hash. */
  of(engineId: string): HeldTorrent[] {
    let list = this.#lists.get(engineId);
    if (!list) {
      list = [...(this.#byEngine.get(engineId) ?? new Map<string, EngineTorrent>())]
        .map(([hash, t]) => ({ hash, ...t }))
        .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
      this.#lists.set(engineId, list);
    }
    return list;
  }

  /** Is `hash` one of `engineId`'s keys. */
  holds(engineId: string, hash: string): boolean {
    return this.#byEngine.get(engineId)?.has(hash) ?? false;
  }

  /** Be told which engines' torrents changed (batched). Returns `off`. */
  onChange(listener: (engineIds: ReadonlySet<string>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stop(): void {
    this.#following?.stop();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#listeners.clear();
  }

  #apply(entry: KvWatchEntry): void {
    const key = splitKey(entry.key);
    if (!key) return;
    let torrents = this.#byEngine.get(key.engineId);
    if (entry.operation === 'PUT') {
      const decoded = decode(EngineTorrent, entry.value);
      if (!decoded.ok) {
        this.log.warn({ key: entry.key }, 'ignored an engine torrent entry that fails its contract');
        return;
      }
      if (!torrents) this.#byEngine.set(key.engineId, (torrents = new Map<string, EngineTorrent>()));
      torrents.set(key.hash, decoded.value);
    } else if (!torrents?.delete(key.hash)) {
      return;
    }
    this.#lists.delete(key.engineId);
    this.#pending.add(key.engineId);
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      const changed = this.#pending;
      this.#pending = new Set();
      for (const listener of this.#listeners) listener(changed);
    }, this.notifyMs);
  }
}

/**
 * One engine's keys in `bitween_engine_torrents`. `update` writes the torrents its caller names
 * (added, removed, or whose name, size or SHA-256 became known): O(changes), the path every change takes.
 * `sync` makes all keys match the torrents held — O(N), for the first write of a run and a rare
 * reconcile — writing only what differs (a restart with the same torrents writes nothing). The
 * first call of either reads the keys already there (an earlier run of this engine id) so that
 * `sync` deletes stale ones and neither rewrites an unchanged one.
 */
export class EngineTorrentsWriter {
  /** What our keys hold now (hash → JSON of the value), once read. */
  #stored: Map<string, string> | null = null;

  constructor(
    private readonly opts: { kv: KV; jsm: JetStreamManager; bucket: string; engineId: string; log: Logger },
  ) {}

  async #load(): Promise<Map<string, string>> {
    const stored = new Map<string, string>();
    const decoder = new TextDecoder();
    const following = await followKv({
      ...this.opts,
      key: `${this.opts.engineId}.>`,
      onEntry: (e) => {
        const key = splitKey(e.key);
        if (!key) return;
        if (e.operation === 'PUT') stored.set(key.hash, decoder.decode(e.value));
        else stored.delete(key.hash);
      },
    });
    following.stop();
    return stored;
  }

  /** A torrent's value as its key holds it (the stored JSON when unchanged: no validation). */
  #valueOf(stored: Map<string, string>, t: HeldTorrent): string {
    // Unchanged (the usual case): no validation, no write.
    const value = { name: t.name, size: t.size, ...(t.sha256 ? { sha256: t.sha256 } : {}) };
    const same = JSON.stringify(value);
    if (stored.get(t.hash) === same) return same;
    const checked = validate(EngineTorrent, value, 'internal');
    if (!checked.ok) throw checked.error;
    return new TextDecoder().decode(encodeJson(checked.value));
  }

  /** Bring all our keys in line with `torrents`. Throws (after the other writes ended) if a write failed. */
  async sync(torrents: readonly HeldTorrent[]): Promise<void> {
    this.#stored ??= await this.#load();
    const stored = this.#stored;
    const want = new Map<string, string | null>();
    for (const t of torrents) want.set(t.hash, this.#valueOf(stored, t));
    for (const hash of stored.keys()) if (!want.has(hash)) want.set(hash, null);
    await this.#write(stored, want);
  }

  /**
   * Write the keys of the torrents in `changes` (hash → the torrent, or null: no longer held),
   * where they differ from what is stored. Throws (after the other writes ended) if a write failed.
   */
  async update(changes: ReadonlyMap<string, HeldTorrent | null>): Promise<void> {
    this.#stored ??= await this.#load();
    const stored = this.#stored;
    const want = new Map<string, string | null>();
    for (const [hash, t] of changes) want.set(hash, t ? this.#valueOf(stored, t) : null);
    await this.#write(stored, want);
  }

  /** Put (a value) or delete (null) each key of `want` that differs from `stored`, some at a time. */
  async #write(stored: Map<string, string>, want: ReadonlyMap<string, string | null>): Promise<void> {
    const writes: (() => Promise<void>)[] = [];
    for (const [hash, value] of want) {
      if (value === null) {
        if (!stored.has(hash)) continue;
        writes.push(async () => {
          await this.opts.kv.delete(keyOf(this.opts.engineId, hash));
          stored.delete(hash);
        });
      } else if (stored.get(hash) !== value) {
        writes.push(async () => {
          await this.opts.kv.put(keyOf(this.opts.engineId, hash), value);
          stored.set(hash, value);
        });
      }
    }
    const failures: Error[] = [];
    let next = 0;
    const worker = async () => {
      while (next < writes.length) {
        const write = writes[next++]!;
        await write().catch((err: unknown) => {
          failures.push(err instanceof Error ? err : new Error(String(err)));
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, writes.length) }, worker));
    if (failures[0]) throw failures[0];
  }
}
