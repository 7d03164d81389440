import { connect, createServer, type Socket } from 'node:net';
import type { Cleanup } from './cleanup.js';

export interface TcpProxy {
  port: number;
  stop(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of `targetPort`, the skeleton of the test proxies: for every
 * client it dials the target; what the client sends goes to the target as it is, and
 * `fromTarget` forwards the other direction (it may delay, hold or alter the data). An error or
 * close of either socket closes both. Stopped by `cleanup` at the latest.
 */
export async function startTcpProxy(
  cleanup: Cleanup,
  label: string,
  targetPort: number,
  fromTarget: (target: Socket, client: Socket) => void,
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const target = connect(targetPort, '127.0.0.1');
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
    fromTarget(target, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${label} has no port`);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
  cleanup.add(`${label} :${address.port}`, stop);
  return { port: address.port, stop };
}
