import type { NatsConnection } from '@bitween/bus';
import { z } from 'zod';

/** The api's NATS connection as it really is, not as it was at start. */
export const NatsStateSchema = z.enum(['connected', 'disconnected', 'closed']);
export type NatsState = z.infer<typeof NatsStateSchema>;

export interface NatsProbe {
  state: NatsState;
  /** Round-trip time of the probe's PING, when it was answered. */
  rttMs?: number;
  /** Why it is not `connected`. */
  reason?: string;
}

/**
 * Follows the connection's status events (nats.js `status()`: disconnect, reconnect, close) and,
 * when asked, confirms "connected" with a PING round-trip: a connection whose server stopped
 * answering (a frozen server, a half-open TCP connection) has not seen a disconnect yet.
 */
export class NatsConnectionState {
  #connected = true;

  constructor(private readonly nc: NatsConnection) {
    void this.#follow();
  }

  async #follow(): Promise<void> {
    // Ends when the connection closes.
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' || s.type === 'staleConnection') this.#connected = false;
      else if (s.type === 'reconnect') this.#connected = true;
    }
  }

  /** From the status events alone (cheap, no round-trip). */
  get state(): NatsState {
    if (this.nc.isClosed()) return 'closed';
    return this.#connected ? 'connected' : 'disconnected';
  }

  /** The state, `connected` only when the server answered a PING within `timeoutMs`. */
  async probe(timeoutMs: number): Promise<NatsProbe> {
    const state = this.state;
    if (state === 'closed') return { state, reason: 'the NATS connection is closed' };
    if (state === 'disconnected') return { state, reason: 'disconnected from NATS (reconnecting)' };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to a PING within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const rttMs = await Promise.race([this.nc.rtt(), timeout]);
      return { state: 'connected', rttMs: Math.round(rttMs * 100) / 100 };
    } catch (err) {
      return {
        state: this.nc.isClosed() ? 'closed' : 'disconnected',
        reason: `NATS does not answer: ${(err as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
