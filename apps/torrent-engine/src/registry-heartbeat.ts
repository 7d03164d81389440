import type { EngineState } from '@bitween/messages';
import type { EngineRegistry, Logger } from '@bitween/bus';
import { coalesce } from '@bitween/runtime';

/**
 * Keeps this engine's entry in the engines KV bucket current: written on every change and
 * refreshed by a heartbeat (a silent engine is dropped by readers after three missed beats),
 * deleted on clean shutdown.
 */
export class RegistryHeartbeat {
  readonly #write;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    /** The registry, or a lease that fences the writes (`EngineLease`). */
    private readonly registry: Pick<EngineRegistry, 'announce' | 'withdraw'>,
    private readonly state: () => EngineState,
    private readonly log: Logger,
  ) {
    this.#write = coalesce(
      () => this.registry.announce(this.state()),
      (err) => this.log.warn({ err }, 'could not update the engine registry (will retry)'),
    );
  }

  start(heartbeatMs: number): void {
    this.#write.trigger();
    this.#timer = setInterval(() => this.#write.trigger(), heartbeatMs);
  }

  changed(): void {
    this.#write.trigger();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#write.idle();
    await this.registry.withdraw(this.state().engineId).catch((err: unknown) => {
      this.log.warn({ err }, 'could not withdraw from the engine registry');
    });
  }
}
