import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from '@bitween/bus';
import { bindingRequest, parseBindingResponse, type Mapped } from './stun-codec.js';

/**
 * Ask a STUN server which address our UDP packets come from (the public IPv4 behind a NAT).
 * Resolves null on timeout or error; never throws, never blocks anything else.
 */
export function stunLookup(server: string, timeoutMs: number): Promise<Mapped | null> {
  const m = /^\[?([^\]]+?)\]?:([0-9]+)$/.exec(server);
  if (!m) return Promise.resolve(null);
  const host = m[1] ?? '';
  const port = Number(m[2]);
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  const id = randomBytes(12);
  return new Promise<Mapped | null>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const done = (value: Mapped | null) => {
      for (const t of timers) clearTimeout(t);
      socket.close();
      resolve(value);
    };
    timers.push(setTimeout(() => done(null), timeoutMs));
    socket.on('error', () => done(null));
    socket.on('message', (msg) => {
      const mapped = parseBindingResponse(msg, id);
      if (mapped) done(mapped);
    });
    const send = () => socket.send(bindingRequest(id), port, host, (err) => err && done(null));
    send();
    timers.push(setInterval(send, Math.max(100, Math.floor(timeoutMs / 4)))); // UDP: resend a few times
  });
}

export interface AddressDiscoveryOptions {
  /** Configured public addresses: always announced. */
  configured: string[];
  /**
   * `host:port` of the STUN server to ask; `'off'`: never ask; unset: ask the one our XMPP server
   * offers (XEP-0215) or the configured ICE servers name, once known (`useStunServer`).
   */
  stunServer?: string;
  stunTimeoutMs: number;
  stunIntervalMs: number;
  log: Logger;
  onChange: (addresses: string[]) => void;
}

/**
 * Site-wide addresses for every engine's entry: the configured ones, plus the public address
 * a STUN server reports (looked up in the background, again every interval). Interface
 * addresses are not here: each engine detects its own host's (it may run on another host).
 */
export class AddressDiscovery {
  #current: string[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #started = false;
  /** The STUN server in use (null: none); a run started for another server is dropped. */
  #server: string | null;
  #runs = 0;

  constructor(private readonly opts: AddressDiscoveryOptions) {
    this.#server = opts.stunServer && opts.stunServer !== 'off' ? opts.stunServer : null;
  }

  get addresses(): string[] {
    return this.#current;
  }

  /** The STUN server in use, or null. */
  get stunServer(): string | null {
    return this.#server;
  }

  /** Returns at once; lookups run in the background. */
  start(): void {
    this.#started = true;
    this.#set(this.opts.configured);
    this.#restart();
  }

  /**
   * The STUN server our XMPP server offers (or the ICE configuration names) changed: use it,
   * unless BITWEEN_STUN_SERVER names one or is `off`. Null: none (the discovered address is dropped).
   */
  useStunServer(server: string | null): void {
    if (this.opts.stunServer !== undefined || server === this.#server) return;
    this.#server = server;
    this.opts.log.info(
      { server },
      server ? 'STUN server for public-address discovery' : 'no STUN server known',
    );
    if (!server) this.#set(this.opts.configured);
    if (this.#started) this.#restart();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #restart(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const run = ++this.#runs;
    const server = this.#server;
    if (!server || this.#stopped) return;
    const lookup = async () => {
      const mapped = await stunLookup(server, this.opts.stunTimeoutMs);
      if (this.#stopped || run !== this.#runs) return;
      if (mapped) this.#set([...this.opts.configured, mapped.address]);
      else this.opts.log.warn({ server, timeoutMs: this.opts.stunTimeoutMs }, 'STUN lookup got no answer');
      this.#timer = setTimeout(() => void lookup(), this.opts.stunIntervalMs);
    };
    void lookup();
  }

  #set(addresses: string[]): void {
    const next = [...new Set(addresses)];
    if (next.join(',') === this.#current.join(',')) return;
    this.#current = next;
    this.opts.log.info({ addresses: next }, 'public addresses changed');
    this.opts.onChange(next);
  }
}
