import type { EngineEntry, EngineState } from '@bitween/messages';
import type { EngineLease, Logger } from '@bitween/bus';
import { coalesce } from '@bitween/runtime';

/**
 * Keeps this engine in the registry: its entry in the engines KV bucket (liveness, endpoints,
 * counters, the number of torrents) written on every change and refreshed by a heartbeat (a
 * silent engine is dropped by readers after three missed beats), and its torrents' keys in
 * `bitween_engine_torrents`, brought up to date on changes only (a heartbeat does not look at
 * the torrents). The two writes are independent: writing 50,000 torrent keys at the first start
 * does not hold the heartbeat back. The entry is deleted on clean shutdown; the torrent keys
 * stay (readers judge them by the entry's liveness; the next run of this id rewrites only
 * what differs).
 */
export class RegistryHeartbeat {
  readonly #beat;
  readonly #torrents;
  #timer: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;

  constructor(
    /** The lease that fences the writes (`EngineLease`). */
    private readonly registry: Pick<EngineLease, 'beat' | 'syncTorrents' | 'withdraw'>,
    private readonly entry: () => EngineEntry,
    private readonly torrents: () => EngineState['torrents'],
    private readonly log: Logger,
  ) {
    this.#beat = coalesce(
      () => this.registry.beat(this.entry()),
      (err) => this.log.warn({ err }, 'could not update the engine registry (will retry)'),
    );
    this.#torrents = coalesce(
      () => this.registry.syncTorrents(this.torrents()),
      (err) => {
        this.log.warn({ err }, "could not update the engine registry's torrents (will retry)");
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          this.#torrents.trigger();
        }, 1000);
      },
    );
  }

  start(heartbeatMs: number): void {
    this.changed();
    this.#timer = setInterval(() => this.#beat.trigger(), heartbeatMs);
  }

  /** Something in the entry or the set of torrents changed: write both (only what differs). */
  changed(): void {
    this.#beat.trigger();
    this.#torrents.trigger();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    await Promise.all([this.#beat.idle(), this.#torrents.idle()]);
    await this.registry.withdraw().catch((err: unknown) => {
      this.log.warn({ err }, 'could not withdraw from the engine registry');
    });
  }
}
