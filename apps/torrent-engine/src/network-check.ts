import { EventEmitter } from 'node:events';
import type { PortMappingStatus } from '@bitween/messages';
import type { Logger } from '@bitween/bus';

export interface NetworkCheckOptions {
  /** The addresses to announce now (the configured ones, else the interfaces': `announceAddresses`). */
  read: () => string[];
  /** What the engine announced at start. */
  initial: readonly string[];
  /** How often to look again (BITWEEN_ADDRESS_CHECK_MS). */
  intervalMs: number;
  log: Logger;
  /** The IPv4 port mapping (null: off): asked again to learn the router's current external address. */
  portMapping: { refresh(): void; status(): PortMappingStatus } | null;
  /** The IPv6 pinholes (null: off): follow the addresses. */
  pinholes: { update(addresses: readonly string[]): void; refresh(): void } | null;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Notices address changes while the engine runs, as Transmission and libtorrent do on a timer: a
 * home's public IPv4 (the router's external address) or its IPv6 prefix changes without a restart.
 * Every `intervalMs` it reads the local addresses again and, while a port mapping is held, asks the
 * router again (the answer carries its external address; a new one is announced by the mapping's
 * own `changed`). When the local addresses changed it follows them with the pinholes, asks the
 * router again whatever the mapping's state (a new network may have a router that answers), and
 * emits `changed`: the engine announces the new endpoints the way it did at start (its registry
 * entry, which the gateway sends to friends).
 */
export class NetworkCheck extends EventEmitter<{ changed: [] }> {
  #addresses: string[];
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: NetworkCheckOptions) {
    super();
    this.#addresses = [...opts.initial];
  }

  /** The addresses announced now. */
  addresses(): string[] {
    return this.#addresses;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.opts.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Looks once (the timer calls it); true when the local addresses changed. */
  check(): boolean {
    const { log, portMapping, pinholes } = this.opts;
    let next: string[];
    try {
      next = this.opts.read();
    } catch (err) {
      log.warn({ err }, 'could not read the network addresses (keeping the announced ones)');
      return false;
    }
    if (sameSet(next, this.#addresses)) {
      if (portMapping?.status().state === 'mapped') portMapping.refresh();
      return false;
    }
    const previous = this.#addresses;
    this.#addresses = next;
    log.info({ addresses: next, previous }, 'network addresses changed: announcing the new ones');
    if (next.length === 0)
      log.warn({}, 'no address to announce: friends cannot connect (set BITWEEN_ANNOUNCE_ADDRESSES)');
    pinholes?.update(next);
    pinholes?.refresh();
    portMapping?.refresh();
    this.emit('changed');
    return true;
  }
}
