import type { EngineEntry } from '@bitween/messages';
import type { EngineLease, HeldTorrent, Logger } from '@bitween/bus';
import { coalesce } from '@bitween/runtime';

/** How often all torrent keys are compared with the torrents held (the safety net of the incremental writes). */
export const RECONCILE_MS = 10 * 60_000;

/** The engine's torrents as the registry carries them. */
export interface RegistryTorrents {
  /** Every torrent held (for the first write and the reconcile: O(N)). */
  all(): HeldTorrent[];
  /** One torrent, or null when it is not held (any more). */
  one(hash: string): HeldTorrent | null;
}

/**
 * Keeps this engine in the registry: its entry in the engines KV bucket (liveness, endpoints,
 * counters, the number of torrents) written on every change and refreshed by a heartbeat (a
 * silent engine is dropped by readers after three missed beats), and its torrents' keys in
 * `bitween_engine_torrents`. Those are written incrementally: a change names the torrents it
 * touched (`changed(hash)`), and only their keys are looked at — a change costs O(changes), not
 * O(N), however many torrents the engine holds. All keys are compared with all torrents (O(N),
 * only what differs is written) at the first write and every `reconcileMs`: the safety net for a
 * change nobody named. A failed write is retried (the same torrents) a second later. The two writes are independent:
 * writing 50,000 torrent keys at the first start does not hold the heartbeat back. The entry is
 * deleted on clean shutdown; the torrent keys stay (readers judge them by the entry's liveness;
 * the next run of this id rewrites only what differs).
 */
export class RegistryHeartbeat {
  readonly #beat;
  readonly #torrents;
  /** Torrents changed since their keys were last written. */
  #dirty = new Set<string>();
  /** The next write compares all keys with all torrents. */
  #full = true;
  #timer: NodeJS.Timeout | null = null;
  #reconcile: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    /** The lease that fences the writes (`EngineLease`). */
    private readonly registry: Pick<EngineLease, 'beat' | 'syncTorrents' | 'updateTorrents' | 'withdraw'>,
    private readonly entry: () => EngineEntry,
    private readonly torrents: RegistryTorrents,
    private readonly log: Logger,
  ) {
    this.#beat = coalesce(
      () => this.registry.beat(this.entry()),
      (err) => this.log.warn({ err }, 'could not update the engine registry (will retry)'),
    );
    this.#torrents = coalesce(
      () => this.#writeTorrents(),
      (err) => {
        this.log.warn({ err }, "could not update the engine registry's torrents (will retry)");
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          this.#torrents.trigger();
        }, 1000);
      },
    );
  }

  start(heartbeatMs: number, reconcileMs = RECONCILE_MS): void {
    this.#beat.trigger();
    this.#torrents.trigger();
    this.#timer = setInterval(() => this.#beat.trigger(), heartbeatMs);
    this.#reconcile = setInterval(() => this.reconcile(), reconcileMs);
  }

  /**
   * Something in the entry changed: write it. `hashes`: the torrents added, removed or changed
   * (their keys are written too, where they differ).
   */
  changed(...hashes: string[]): void {
    this.#beat.trigger();
    if (hashes.length === 0) return;
    for (const hash of hashes) this.#dirty.add(hash);
    this.#torrents.trigger();
  }

  /** Compare all torrent keys with all torrents now (O(N); only what differs is written). */
  reconcile(): void {
    this.#full = true;
    this.#torrents.trigger();
  }

  async #writeTorrents(): Promise<void> {
    if (this.#full) {
      // Changes named from here on are written by the next run (the list below is taken now).
      this.#full = false;
      this.#dirty.clear();
      try {
        await this.registry.syncTorrents(this.torrents.all());
      } catch (err) {
        this.#full = true;
        throw err;
      }
      return;
    }
    if (this.#dirty.size === 0) return;
    const hashes = this.#dirty;
    this.#dirty = new Set();
    const changes = new Map<string, HeldTorrent | null>();
    for (const hash of hashes) changes.set(hash, this.torrents.one(hash));
    try {
      await this.registry.updateTorrents(changes);
    } catch (err) {
      for (const hash of hashes) this.#dirty.add(hash);
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#reconcile) clearInterval(this.#reconcile);
    if (this.#retry) clearTimeout(this.#retry);
    await Promise.all([this.#beat.idle(), this.#torrents.idle()]);
    await this.registry.withdraw().catch((err: unknown) => {
      this.log.warn({ err }, 'could not withdraw from the engine registry');
    });
  }
}
