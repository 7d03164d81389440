import type { EngineRegistry, Logger } from '@bitween/bus';
import type { EngineView } from '../domain/engine-view.js';

export interface EngineWatchOptions {
  registry: EngineRegistry;
  engines: EngineView;
  log: Logger;
  /** How often engine liveness is re-evaluated (a crashed engine's shares are withdrawn). */
  engineCheckMs: number;
  /** Which engines are alive, where they listen or what they hold changed. */
  onChange(): void;
  /** A periodic check found nothing changed. */
  onUnchanged(): void;
}

/**
 * Keeps the engine view right: follows the engines registry (changes at once) and reads it
 * whole every `engineCheckMs` (a missed change, an engine that fell silent).
 */
export class EngineWatch {
  #fingerprint = '';
  #timer: NodeJS.Timeout | null = null;
  #stopWatch: (() => void) | null = null;

  constructor(private readonly opts: EngineWatchOptions) {}

  async start(): Promise<void> {
    this.#stopWatch = await this.opts.registry.watch((engineId, engine) => {
      this.opts.engines.update(engineId, engine);
      this.#changed();
    });
    // The watch gives changes at once; this periodic full read makes the view right even if a
    // change was missed, and notices engines that fell silent.
    this.#timer = setInterval(() => void this.#resync(), this.opts.engineCheckMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#stopWatch?.();
  }

  /** Which engines are alive and what they hold: when it changes, publish again. */
  #fingerprintNow(): string {
    return this.opts.engines
      .live(Date.now())
      .map(
        (e) =>
          `${e.state.engineId}:${e.state.endpoints.map((p) => `${p.address}|${p.port}`).join(',')}:${e.state.torrents.map((t) => `${t.hash}${t.name === null ? '?' : ''}`).join(',')}`,
      )
      .join(';');
  }

  async #resync(): Promise<void> {
    try {
      this.opts.engines.replaceAll(await this.opts.registry.live());
    } catch (err) {
      this.opts.log.warn({ err }, 'could not read the engine registry');
    }
    if (this.#fingerprintNow() !== this.#fingerprint) this.#changed();
    else this.opts.onUnchanged();
  }

  #changed(): void {
    this.#fingerprint = this.#fingerprintNow();
    this.opts.onChange();
  }
}
