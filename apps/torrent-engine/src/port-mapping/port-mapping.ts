import { EventEmitter } from 'node:events';
import type { Endpoint, PortMappingStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { classifyAddress } from '@bitween/net-policy';
import {
  afterAttempt,
  expire,
  initialLeaseState,
  type AttemptOutcome,
  type LeaseEvent,
  type LeaseState,
  type ScheduleOptions,
} from './lease-schedule.js';
import { NoGatewayError, type MapperClient } from './mapper-client.js';

export interface PortMappingOptions extends ScheduleOptions {
  client: MapperClient;
  internalPort: number;
  /** An IPv6 pinhole: the address of ours it opens (in the status before the router answered). */
  internalAddress?: string;
  /** The lease asked for (NAT-PMP grants it; the UPnP side asks for at least an hour). */
  leaseMs: number;
  log: Logger;
  now?: () => number;
  /** The warning when no router answers (default: about UPnP-IGD and NAT-PMP). */
  noGatewayWarning?: string;
  /** What the log calls it: `port mapping` (default) or `IPv6 pinhole`. */
  what?: 'port mapping' | 'IPv6 pinhole';
}

/** The status as it goes into the engine's registry entry (libs/messages PortMappingStatus). */
export function toStatus(
  state: LeaseState,
  internalPort: number,
  internalAddress?: string,
): PortMappingStatus {
  return {
    state: state.phase,
    protocol: state.protocol,
    external: state.mapping
      ? { address: state.mapping.externalAddress, port: state.mapping.externalPort }
      : null,
    internalPort,
    ...(internalAddress === undefined ? {} : { internalAddress }),
    expiresAt: state.expiresAt,
    lastError: state.lastError?.slice(0, 500) ?? null,
    since: state.since,
  };
}

/** `203.0.113.10:6881`, `[2001:db8::2]:6881`: an external endpoint as the log shows it. */
const hostPort = (m: { externalAddress: string; externalPort: number }) =>
  m.externalAddress.includes(':')
    ? `[${m.externalAddress}]:${m.externalPort}`
    : `${m.externalAddress}:${m.externalPort}`;

/**
 * Keeps the engine's listen port mapped on the home router: maps at start, renews at half the
 * lease, retries with backoff when no gateway answers, removes the mapping on stop. Emits
 * `changed` whenever the external endpoint or the status changes (the engine re-announces).
 */
export class PortMapping extends EventEmitter<{ changed: [] }> {
  #state: LeaseState;
  #timer: NodeJS.Timeout | null = null;
  #attempt: Promise<void> | null = null;
  #stopped = false;
  /** The attempt under way was asked for by refresh(): a plain renewal is not worth an info line. */
  #refreshing = false;
  readonly #now: () => number;
  readonly #what: 'port mapping' | 'IPv6 pinhole';

  constructor(private readonly opts: PortMappingOptions) {
    super();
    this.#now = opts.now ?? Date.now;
    this.#what = opts.what ?? 'port mapping';
    this.#state = initialLeaseState(this.#now());
  }

  start(): void {
    this.#schedule(0);
  }

  status(): PortMappingStatus {
    return toStatus(this.#state, this.opts.internalPort, this.opts.internalAddress);
  }

  /** Where friends can reach us through the router, while a mapping is held. */
  external(): Endpoint | null {
    const m = this.#state.mapping;
    return m ? { address: m.externalAddress, port: m.externalPort } : null;
  }

  /**
   * Asks the router again now instead of at the next renewal: a network change, or the periodic
   * check of the router's external address (a home's public IPv4 changes while we run). Nothing
   * while an attempt is under way or after stop().
   */
  refresh(): void {
    if (this.#stopped || this.#attempt) return;
    this.#refreshing = true;
    this.#schedule(0);
  }

  /**
   * Stops renewing and removes the mapping from the router. An attempt under way (a search takes
   * seconds) is waited for at most `stopWaitMs`; the client removes what it maps after that.
   */
  async stop(stopWaitMs = 1_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#attempt) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#attempt,
        new Promise((resolve) => (timer = setTimeout(resolve, stopWaitMs))),
      ]);
      clearTimeout(timer);
    }
    const held = this.#state.mapping;
    await this.opts.client.unmap();
    if (held)
      this.opts.log.info({ protocol: held.protocol, external: hostPort(held) }, `${this.#what} removed`);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#attempt = this.#run().finally(() => (this.#attempt = null));
    }, delayMs);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    // A lease that ended while we waited is gone before we ask again.
    this.#apply(expire(this.#state, this.#now()));
    let outcome: AttemptOutcome;
    try {
      const mapping = await this.opts.client.map(this.opts.internalPort, this.opts.leaseMs);
      outcome = { ok: true, mapping };
    } catch (err) {
      outcome = {
        ok: false,
        error: err instanceof Error ? err.message : String(err),
        noGateway: err instanceof NoGatewayError,
        protocol: null,
      };
    }
    // Stopped meanwhile: the client removes what it mapped after unmap() (MapperClient.unmap).
    if (this.#stopped) return;
    this.#apply(afterAttempt(this.#state, outcome, this.#now(), this.opts));
    this.#refreshing = false;
    this.#schedule(Math.max(0, this.#state.nextAttemptAt - this.#now()));
  }

  #apply(next: { state: LeaseState; events: LeaseEvent[] }): void {
    const before = JSON.stringify(toStatus(this.#state, this.opts.internalPort, this.opts.internalAddress));
    this.#state = next.state;
    for (const e of next.events) this.#log(e);
    if (JSON.stringify(toStatus(this.#state, this.opts.internalPort, this.opts.internalAddress)) !== before)
      this.emit('changed');
  }

  /** A router whose own external address is private sits behind another NAT (carrier-grade NAT, a second router). */
  #warnIfPrivate(m: { externalAddress: string }): void {
    if (classifyAddress(m.externalAddress) === 'public') return;
    this.opts.log.warn(
      { external: m.externalAddress, internalPort: this.opts.internalPort },
      "the router's external address is not public (carrier-grade NAT or a second router): friends on the internet cannot connect through this mapping",
    );
  }

  #log(e: LeaseEvent): void {
    const { log, internalPort } = this.opts;
    const at = hostPort;
    switch (e.kind) {
      case 'mapped':
        log.info(
          { protocol: e.mapping.protocol, external: at(e.mapping), internalPort, leaseMs: e.mapping.leaseMs },
          this.#what === 'port mapping' ? 'port mapped on the router' : 'IPv6 pinhole opened on the router',
        );
        this.#warnIfPrivate(e.mapping);
        break;
      case 'renewed': {
        const fields = { protocol: e.mapping.protocol, external: at(e.mapping), internalPort };
        if (this.#refreshing) log.debug(fields, `${this.#what} checked: unchanged`);
        else log.info(fields, `${this.#what} renewed`);
        break;
      }
      case 'changed':
        log.info(
          { protocol: e.mapping.protocol, external: at(e.mapping), previous: at(e.previous), internalPort },
          `${this.#what} changed`,
        );
        this.#warnIfPrivate(e.mapping);
        break;
      case 'lost':
        log.info({ previous: at(e.previous), error: e.error, internalPort }, `${this.#what} lost`);
        break;
      case 'no-gateway':
        log.warn(
          { error: e.error, internalPort },
          this.opts.noGatewayWarning ??
            'no router answered UPnP-IGD or NAT-PMP: friends behind NAT may not reach this engine (retrying in the background)',
        );
        break;
      case 'failed':
        log.debug({ error: e.error, retryInMs: e.retryInMs, internalPort }, `${this.#what} attempt failed`);
        break;
    }
  }
}
