import { connect, createServer, type Socket } from 'node:net';
import type { Cleanup } from './cleanup.js';

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
  const sockets = new Set<Socket>();
  let held = false;
  let waiting: (() => void)[] = [];
  let nextFree = Date.now();
  const server = createServer((client) => {
    const target = connect(opts.targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(target);
    const close = () => {
      client.destroy();
      target.destroy();
      sockets.delete(client);
      sockets.delete(target);
    };
    for (const s of [client, target]) {
      s.on('error', close);
      s.on('close', close);
    }
    client.pipe(target);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
  cleanup.add(`throttle proxy :${address.port}`, stop);
  return {
    port: address.port,
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
    stop,
  };
}
