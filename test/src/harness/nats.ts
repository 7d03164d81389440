import { join } from 'node:path';
import { spawnChild } from './child.js';
import { makeTempDir, removeTempDir, type Cleanup } from './cleanup.js';

export interface NatsServer {
  /** `nats://127.0.0.1:PORT` */
  url: string;
  port: number;
  pid: number;
  /** Temp dir holding the JetStream store; removed by stop(). */
  dir: string;
  /** SIGTERM (SIGKILL after 5 s), wait for the exit, remove `dir`. Idempotent. */
  stop(): Promise<void>;
}

const LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/;

/** A fresh nats-server with JetStream on a random loopback port; stopped by `cleanup` at the latest. */
export async function startNats(cleanup: Cleanup): Promise<NatsServer> {
  const dir = await makeTempDir('nats');
  const child = await spawnChild('nats-server', [
    '-a',
    '127.0.0.1',
    '-p',
    '-1',
    '-js',
    '-sd',
    join(dir, 'js'),
  ]).catch(async (err: unknown) => {
    await removeTempDir(dir);
    throw err;
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await child.stop(5_000);
      await removeTempDir(dir);
    })();
    return stopping;
  };
  cleanup.add(`nats-server (pid ${child.pid})`, stop);
  try {
    // nats-server logs to stderr "... Listening for client connections on 127.0.0.1:PORT", then "... Server is ready".
    await child.output.wait((line) => line.includes('Server is ready'), {
      what: 'nats-server to be ready',
      timeoutMs: 20_000,
    });
    const port = Number(child.output.items.map((line) => LISTENING.exec(line)?.[1]).find(Boolean));
    if (!port) throw new Error(`nats-server is ready but did not log its port:\n${child.output.tail()}`);
    return { url: `nats://127.0.0.1:${port}`, port, pid: child.pid, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
