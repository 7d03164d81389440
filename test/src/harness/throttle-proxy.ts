import type { Cleanup } from './cleanup.js';
import { startTcpProxy } from './tcp-proxy.js';

/** A loopback TCP proxy that slows (and can hold) the data flowing back from its target. */
export interface ThrottleProxy {
  port: number;
  /** Stop forwarding data from the target (connections stay open) until `release`. */
  hold(): void;
  release(): void;
  stop(): Promise<void>;
}

/**
 * A stand-in for a slow network between two peers, so a test can act in the middle of a
 * transfer: data from the target to the client is forwarded at `bytesPerSecond` (all connections
 * together); data from the client to the target is not slowed.
 */
export async function startThrottleProxy(
  cleanup: Cleanup,
  opts: { targetPort: number; bytesPerSecond: number },
): Promise<ThrottleProxy> {
  let held = false;
  let waiting: (() => void)[] = [];
  let nextFree = Date.now();
  const proxy = await startTcpProxy(cleanup, 'throttle proxy', opts.targetPort, (target, client) => {
    target.on('data', (chunk: Buffer) => {
      target.pause();
      const forward = () => {
        if (held) {
          waiting.push(forward);
          return;
        }
        const now = Date.now();
        const at = Math.max(now, nextFree);
        nextFree = at + (chunk.length / opts.bytesPerSecond) * 1000;
        setTimeout(() => {
          if (client.destroyed) return;
          if (client.write(chunk)) target.resume();
          else client.once('drain', () => target.resume());
        }, at - now);
      };
      forward();
    });
  });
  return {
    ...proxy,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      nextFree = Date.now();
      const queued = waiting;
      waiting = [];
      for (const f of queued) f();
    },
  };
}
