import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import type { PortMappingStatus } from '@bitween/messages';
import { canonicalIp, classifyAddress } from '@bitween/net-policy';
import type { PortMapping } from './port-mapping.js';

/** At most this many pinholes (one per global IPv6 address; a host rarely has more than 3 or 4). */
export const MAX_PINHOLES = 8;

/** The global IPv6 addresses among `addresses` that get a pinhole, in announcement order. */
export function pinholeAddresses(addresses: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const c = canonicalIp(a);
    if (c === null || !isIPv6(c) || classifyAddress(c) !== 'public' || out.includes(c)) continue;
    out.push(c);
  }
  return out.slice(0, MAX_PINHOLES);
}

/**
 * One IPv6 pinhole per global IPv6 address the engine announces: a home server often has several
 * (a stable SLAAC address and privacy addresses, or two prefixes), and a friend may dial any of
 * them, so each is opened, renewed and removed on its own (a PortMapping each, with its own PCP
 * nonce). `update()` follows the announced addresses: a new address gets a pinhole, a pinhole of an
 * address that went away is removed. Emits `changed` when any pinhole's status changes.
 */
export class PinholeSet extends EventEmitter<{ changed: [] }> {
  readonly #holes = new Map<string, PortMapping>();
  readonly #closing = new Set<Promise<void>>();
  #stopped = false;

  /** `open(address)` makes (does not start) the pinhole of one address. */
  constructor(private readonly open: (address: string) => PortMapping) {
    super();
  }

  /** Opens pinholes for new global IPv6 addresses among `addresses`, removes those of addresses gone. */
  update(addresses: readonly string[]): void {
    if (this.#stopped) return;
    const wanted = pinholeAddresses(addresses);
    let changed = false;
    for (const [address, hole] of this.#holes) {
      if (wanted.includes(address)) continue;
      this.#holes.delete(address);
      hole.removeAllListeners('changed');
      const closing = hole.stop().finally(() => this.#closing.delete(closing));
      this.#closing.add(closing);
      changed = true;
    }
    for (const address of wanted) {
      if (this.#holes.has(address)) continue;
      const hole = this.open(address);
      hole.on('changed', () => this.emit('changed'));
      this.#holes.set(address, hole);
      hole.start();
      changed = true;
    }
    // Keep the announcement order (a Map iterates in insertion order).
    const ordered = wanted.map((a) => [a, this.#holes.get(a)] as const);
    this.#holes.clear();
    for (const [a, h] of ordered) if (h) this.#holes.set(a, h);
    if (changed) this.emit('changed');
  }

  /** The global IPv6 addresses that have a pinhole (open or being asked for). */
  addresses(): string[] {
    return [...this.#holes.keys()];
  }

  /** Each pinhole's status, in announcement order. */
  statuses(): PortMappingStatus[] {
    return [...this.#holes.values()].map((h) => h.status());
  }

  /** Asks the router again for every pinhole now (a network change). */
  refresh(): void {
    for (const h of this.#holes.values()) h.refresh();
  }

  /** Removes every pinhole from the router (clean shutdown), and waits for those already going. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const holes = [...this.#holes.values()];
    this.#holes.clear();
    await Promise.all([...holes.map((h) => h.stop()), ...this.#closing]);
  }
}
