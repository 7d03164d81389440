import type { Socket } from 'node:net';
import type { Logger } from '@bitween/bus';
import { normaliseIp } from '../peer-filter.js';

interface ConnPool {
  _onConnection(conn: Socket, type: string): void;
}

export interface UnadmittedLimits {
  /** Accepted connections not admitted yet, in all (64). */
  maxTotal: number;
  /** … from one IP address (8). */
  maxPerIp: number;
  /** An accepted connection not admitted after this long is closed (20 s). */
  deadlineMs: number;
}

export const DEFAULT_UNADMITTED_LIMITS: UnadmittedLimits = { maxTotal: 64, maxPerIp: 8, deadlineMs: 20_000 };

const key = (ip: string, port: number | undefined) => `${normaliseIp(ip)}|${port ?? 0}`;

/**
 * Incoming connections are accepted from any address (a friend behind NAT connects from its
 * router's address) and get nothing until admitted (gate.ts); this bounds how many of them may
 * wait for admission, in all and per IP, and how long. webtorrent 3 has no public hook at accept
 * time: its connection pool routes every accepted socket through `_onConnection`, which we wrap on
 * this client instance (nothing in node_modules changes); fails loudly if an upgrade removes it.
 */
export class UnadmittedConnections {
  readonly #pending = new Map<string, { socket: Socket; ip: string; timer: NodeJS.Timeout }>();
  readonly #perIp = new Map<string, number>();

  constructor(
    client: object,
    private readonly limits: UnadmittedLimits,
    private readonly onRefused: (detail: { remote: string | undefined; why: string }) => void,
    private readonly log: Logger,
  ) {
    const pool = (client as { _connPool?: Partial<ConnPool> })._connPool;
    if (!pool || typeof pool._onConnection !== 'function') {
      throw new Error(
        'webtorrent has no connection pool to bound (was it upgraded?): cannot limit unadmitted connections',
      );
    }
    const original = pool._onConnection.bind(pool);
    pool._onConnection = (conn: Socket, type: string) => {
      if (this.#take(conn)) original(conn, type);
    };
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** The wire from `ip`:`port` was admitted: it no longer counts. */
  admitted(ip: string | undefined, port: number | undefined): void {
    if (ip) this.#release(key(ip, port));
  }

  #take(conn: Socket): boolean {
    const remote = conn.remoteAddress;
    const ip = remote ? normaliseIp(remote) : '';
    const fromIp = this.#perIp.get(ip) ?? 0;
    const why = !remote
      ? 'no remote address'
      : this.#pending.size >= this.limits.maxTotal
        ? 'too many unadmitted connections'
        : fromIp >= this.limits.maxPerIp
          ? 'too many unadmitted connections from this address'
          : null;
    if (why) {
      conn.on('error', () => undefined);
      conn.destroy();
      this.onRefused({ remote, why });
      return false;
    }
    const k = key(ip, conn.remotePort);
    const timer = setTimeout(() => {
      if (!this.#pending.has(k)) return;
      this.log.debug({ remote, port: conn.remotePort }, 'closed a connection not admitted in time');
      this.#release(k);
      conn.destroy();
    }, this.limits.deadlineMs);
    timer.unref();
    this.#pending.set(k, { socket: conn, ip, timer });
    this.#perIp.set(ip, fromIp + 1);
    conn.once('close', () => this.#release(k));
    return true;
  }

  #release(k: string): void {
    const entry = this.#pending.get(k);
    if (!entry) return;
    this.#pending.delete(k);
    clearTimeout(entry.timer);
    const n = (this.#perIp.get(entry.ip) ?? 1) - 1;
    if (n > 0) this.#perIp.set(entry.ip, n);
    else this.#perIp.delete(entry.ip);
  }
}
