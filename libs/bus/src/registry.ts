import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './bus.js';
import { buckets, decode, encodeJson, EngineState, validate } from '@bitween/messages';

/** An engine that misses this many heartbeats is considered gone. */
export const MISSED_HEARTBEATS = 3;

export interface RegisteredEngine {
  state: EngineState;
  /** Server time of the last write (JetStream's timestamp: immune to clock skew between hosts). */
  seenAt: number;
}

export function isAlive(engine: RegisteredEngine, now: number): boolean {
  return now - engine.seenAt <= engine.state.heartbeatMs * MISSED_HEARTBEATS;
}

/**
 * The engines KV bucket: each torrent engine keeps its `EngineState` under its id, refreshed
 * by a heartbeat and deleted on clean shutdown. Entries are validated on every read.
 */
export class EngineRegistry {
  private constructor(
    readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<EngineRegistry> {
    // `create` opens the bucket when it exists. Entries older than an hour are garbage
    // (liveness is judged by heartbeats, not by the bucket's age limit).
    const kv = await new Kvm(nc).create(buckets.engines, { history: 1, ttl: 60 * 60 * 1000 });
    return new EngineRegistry(kv, await jetstreamManager(nc), log);
  }

  async announce(state: EngineState): Promise<void> {
    const checked = validate(EngineState, state, 'internal');
    if (!checked.ok) throw checked.error;
    await this.kv.put(state.engineId, encodeJson(checked.value));
  }

  async withdraw(engineId: string): Promise<void> {
    await this.kv.delete(engineId);
  }

  /** Decode one entry; an invalid one is logged and skipped. */
  parse(entry: KvEntry): RegisteredEngine | null {
    if (entry.operation !== 'PUT') return null;
    const decoded = decode(EngineState, entry.value);
    if (!decoded.ok) {
      this.log.warn(
        { key: entry.key, issues: decoded.error.issues },
        'ignored an engine registry entry that fails its contract',
      );
      return null;
    }
    return { state: decoded.value, seenAt: entry.created.getTime() };
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
   * Follow the bucket: `onChange` gets the id and the new state (null when deleted), first for
   * every existing entry, then for each change, until the returned `stop` is called. A watch
   * that ends by itself (server restart, consumer lost) is started again.
   */
  async watch(onChange: (engineId: string, engine: RegisteredEngine | null) => void): Promise<() => void> {
    let stopped = false;
    let current = await this.kv.watch();
    void (async () => {
      while (!stopped) {
        try {
          for await (const entry of current) onChange(entry.key, this.parse(entry));
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
      current.stop();
    };
  }
}
