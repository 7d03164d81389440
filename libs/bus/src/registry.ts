import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './bus.js';
import { buckets, decode, encodeJson, EngineEntry, type EngineState, validate } from '@bitween/messages';
import { EngineTorrentsMirror, EngineTorrentsWriter, type HeldTorrent } from './engine-torrents.js';

/** An engine that misses this many heartbeats is considered gone. */
export const MISSED_HEARTBEATS = 3;

export interface RegisteredEngine {
  /** Its entry and its torrents (empty when the registry was opened with `torrents: false`). */
  state: EngineState;
  /** Server time of the last write (JetStream's timestamp: immune to clock skew between hosts). */
  seenAt: number;
}

export function isAlive(engine: RegisteredEngine, now: number): boolean {
  return now - engine.seenAt <= engine.state.heartbeatMs * MISSED_HEARTBEATS;
}

/**
 * The engines registry, two KV buckets: `bitween_engines` holds each engine's `EngineEntry`
 * under its id (liveness, endpoints, counters: refreshed by a heartbeat, deleted on clean
 * shutdown), `bitween_engine_torrents` one key `<engineId>.<hash>` per torrent it holds (written
 * on changes only). Readers get both together as `EngineState` (the torrents from a copy of the
 * second bucket kept by a watch). Entries are validated on every read.
 */
export class EngineRegistry {
  readonly #writers = new Map<string, EngineTorrentsWriter>();

  private constructor(
    readonly kv: KV,
    readonly torrentsKv: KV,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
    /** null: opened without torrents (liveness only, as placement and takeover need). */
    readonly torrents: EngineTorrentsMirror | null,
  ) {}

  /**
   * Open both buckets. `torrents: false` skips the copy of every engine's torrents (an engine
   * needs only who is alive): states read then carry `torrents: []`.
   */
  static async open(
    nc: NatsConnection,
    log: Logger,
    opts: { torrents?: boolean } = {},
  ): Promise<EngineRegistry> {
    // `create` opens the bucket when it exists. Entries older than an hour are garbage
    // (liveness is judged by heartbeats, not by the bucket's age limit).
    const kvm = new Kvm(nc);
    const kv = await kvm.create(buckets.engines, { history: 1, ttl: 60 * 60 * 1000 });
    // No age limit: a torrent key is written once, not refreshed; readers judge it by its engine's liveness.
    const torrentsKv = await kvm.create(buckets.engineTorrents, { history: 1 });
    const jsm = await jetstreamManager(nc);
    const mirror =
      opts.torrents === false
        ? null
        : await EngineTorrentsMirror.start({ kv: torrentsKv, jsm, bucket: buckets.engineTorrents, log });
    return new EngineRegistry(kv, torrentsKv, jsm, log, mirror);
  }

  /** The entry's bytes for `state` (its torrents left out: they are keys of their own). */
  entryOf(state: EngineState): Uint8Array {
    const { torrents, ...rest } = state;
    return this.encodeEntry({ ...rest, torrentCount: torrents.length });
  }

  /** An entry's bytes, checked against its contract. */
  encodeEntry(entry: EngineEntry): Uint8Array {
    const checked = validate(EngineEntry, entry, 'internal');
    if (!checked.ok) throw checked.error;
    return encodeJson(checked.value);
  }

  #writer(engineId: string): EngineTorrentsWriter {
    let writer = this.#writers.get(engineId);
    if (!writer) {
      writer = new EngineTorrentsWriter({
        kv: this.torrentsKv,
        jsm: this.jsm,
        bucket: buckets.engineTorrents,
        engineId,
        log: this.log,
      });
      this.#writers.set(engineId, writer);
    }
    return writer;
  }

  /** Make all of `engineId`'s torrent keys match `torrents` (O(N); only the differences are written). */
  async syncTorrents(engineId: string, torrents: EngineState['torrents']): Promise<void> {
    await this.#writer(engineId).sync(torrents);
  }

  /**
   * Write only the keys of the torrents in `changes` (hash → the torrent, or null: no longer
   * held) where they differ from what is stored: O(changes).
   */
  async updateTorrents(engineId: string, changes: ReadonlyMap<string, HeldTorrent | null>): Promise<void> {
    await this.#writer(engineId).update(changes);
  }

  /** Write `state`: its torrents' keys, then its entry. */
  async announce(state: EngineState): Promise<void> {
    const entry = this.entryOf(state);
    await this.syncTorrents(state.engineId, state.torrents);
    await this.kv.put(state.engineId, entry);
  }

  async withdraw(engineId: string): Promise<void> {
    await this.kv.delete(engineId);
  }

  /** Decode one entry; an invalid one is logged and skipped. */
  parse(entry: KvEntry): RegisteredEngine | null {
    const read = this.#read(entry);
    return read && { state: this.#withTorrents(read.entry), seenAt: read.seenAt };
  }

  #read(entry: KvEntry): { entry: EngineEntry; seenAt: number } | null {
    if (entry.operation !== 'PUT') return null;
    const decoded = decode(EngineEntry, entry.value);
    if (!decoded.ok) {
      this.log.warn(
        { key: entry.key, issues: decoded.error.issues },
        'ignored an engine registry entry that fails its contract',
      );
      return null;
    }
    return { entry: decoded.value, seenAt: entry.created.getTime() };
  }

  #withTorrents(entry: EngineEntry): EngineState {
    const { torrentCount: _count, ...rest } = entry;
    return { ...rest, torrents: this.torrents?.of(entry.engineId) ?? [] };
  }

  /**
   * Every engine whose heartbeat is recent. The keys come from one stream-info request (its
   * per-subject counts), not from `kv.keys()`: that one opens a push consumer and, on a busy
   * machine, can lose the messages pushed before it subscribes and then never end.
   */
  async live(now = Date.now()): Promise<RegisteredEngine[]> {
    const prefix = `$KV.${buckets.engines}.`;
    const info = await this.jsm.streams.info(`KV_${buckets.engines}`, { subjects_filter: `${prefix}>` });
    const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
    const entries = await Promise.all(keys.map((key) => this.kv.get(key)));
    const out: RegisteredEngine[] = [];
    for (const entry of entries) {
      const engine = entry ? this.parse(entry) : null;
      if (engine && isAlive(engine, now)) out.push(engine);
    }
    return out.sort((a, b) => a.state.engineId.localeCompare(b.state.engineId));
  }

  /**
   * Follow the registry: `onChange` gets the id and the new state (null when deleted), first for
   * every existing entry, then for each change of an entry or of an engine's torrents (batched),
   * until the returned `stop` is called. A watch that ends by itself (server restart, consumer
   * lost) is started again.
   */
  async watch(onChange: (engineId: string, engine: RegisteredEngine | null) => void): Promise<() => void> {
    let stopped = false;
    const last = new Map<string, { entry: EngineEntry; seenAt: number }>();
    const offTorrents = this.torrents?.onChange((engineIds) => {
      for (const id of engineIds) {
        const known = last.get(id);
        if (known && !stopped) onChange(id, { state: this.#withTorrents(known.entry), seenAt: known.seenAt });
      }
    });
    const seen = (entry: KvEntry): RegisteredEngine | null => {
      const read = this.#read(entry);
      if (!read) {
        last.delete(entry.key);
        return null;
      }
      last.set(entry.key, read);
      return { state: this.#withTorrents(read.entry), seenAt: read.seenAt };
    };
    let current = await this.kv.watch();
    void (async () => {
      while (!stopped) {
        try {
          for await (const entry of current) onChange(entry.key, seen(entry));
        } catch (err) {
          this.log.warn({ err }, 'engine registry watch failed');
        }
        if (stopped) break;
        this.log.warn({}, 'engine registry watch ended; watching again');
        await new Promise((r) => setTimeout(r, 1000));
        try {
          if (!stopped) current = await this.kv.watch();
        } catch (err) {
          this.log.warn({ err }, 'could not watch the engine registry');
        }
      }
    })();
    return () => {
      stopped = true;
      offTorrents?.();
      current.stop();
    };
  }

  /** Stop the copy of the torrents bucket. */
  close(): void {
    this.torrents?.stop();
  }
}
