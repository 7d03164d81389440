import { EventEmitter } from 'node:events';
import type { IceServer, Result } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { iceKinds, type IceKinds } from './reachability.js';

/** The gateway's `xmpp.ice-servers` answer. */
export interface IceServersAnswer {
  iceServers: IceServer[];
  source: 'xep-0215' | 'config' | 'none';
  expiresAt: number | null;
}

export interface IceServersWatchOptions {
  /** Asks the gateway (`bus.request(xmpp.iceServers, {})`). */
  ask: () => Promise<Result<IceServersAnswer>>;
  log: Logger;
  /**
   * While none is known or the gateway does not answer (not started yet, or not logged in), ask
   * again after `firstRetryMs`, doubling up to `retryMs`.
   */
  firstRetryMs: number;
  retryMs: number;
  /** Ask again after this while servers are known (or before they expire, whichever is first). */
  refreshMs: number;
  now?: () => number;
}

/** How long before a credential's expiry we ask again. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The STUN/TURN servers the gateway offers (XEP-0215 or its configuration), asked at start and
 * again periodically. A gateway that does not answer (not started, or older than `xmpp.ice-servers`)
 * counts as "none known" unless an earlier answer is still valid; it is asked again soon, then less
 * often (`firstRetryMs` doubling up to `retryMs`).
 * Emits `changed` when the kinds known (STUN, TURN) change.
 */
export class IceServersWatch extends EventEmitter<{ changed: [] }> {
  #answer: IceServersAnswer | null = null;
  #asked = false;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #lastFailure: string | null = null;
  #retries = 0;
  /** The kinds last reported (`changed`), so an expiry noticed at the next ask is reported too. */
  #reported = 'null';
  readonly #now: () => number;

  constructor(private readonly opts: IceServersWatchOptions) {
    super();
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    void this.#ask();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** The servers to give WebRTC (empty while none is known). */
  servers(): IceServer[] {
    return this.#valid()?.iceServers ?? [];
  }

  /** STUN / TURN known; null until the gateway was asked once. */
  kinds(): IceKinds | null {
    return this.#asked ? iceKinds(this.servers()) : null;
  }

  #valid(): IceServersAnswer | null {
    const a = this.#answer;
    return a && (a.expiresAt === null || a.expiresAt > this.#now()) ? a : null;
  }

  async #ask(): Promise<void> {
    const reply = await this.opts.ask().catch((err: unknown) => ({
      ok: false as const,
      error: { message: err instanceof Error ? err.message : String(err) },
    }));
    if (this.#stopped) return;
    this.#asked = true;
    if (reply.ok) {
      this.#answer = reply.value;
      this.#lastFailure = null;
    } else if (reply.error.message !== this.#lastFailure) {
      // Once per distinct failure: a gateway without `xmpp.ice-servers` fails the same way each time.
      this.#lastFailure = reply.error.message;
      this.opts.log.info(
        { err: reply.error.message },
        'no STUN/TURN servers from the gateway (will ask again)',
      );
    }
    const after = this.kinds();
    if (JSON.stringify(after) !== this.#reported) {
      this.#reported = JSON.stringify(after);
      this.opts.log.info({ ...after, source: this.#valid()?.source ?? 'none' }, 'STUN/TURN servers known');
      this.emit('changed');
    }
    this.#timer = setTimeout(() => void this.#ask(), this.#nextDelay());
  }

  #nextDelay(): number {
    const a = this.#valid();
    if (!a || a.iceServers.length === 0)
      return Math.min(this.opts.retryMs, this.opts.firstRetryMs * 2 ** this.#retries++);
    this.#retries = 0;
    if (a.expiresAt === null) return this.opts.refreshMs;
    const untilExpiry = a.expiresAt - this.#now() - EXPIRY_MARGIN_MS;
    return Math.min(this.opts.refreshMs, Math.max(this.opts.retryMs / 6, untilExpiry));
  }
}
