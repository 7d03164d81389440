import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** For the api's own tests: a real nats-server with JetStream (the harness in test/ is not a dependency here). */
export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Start nats-server with JetStream on a free port (or `port`, to start one again where clients
 * reconnect); resolves once it is ready for clients.
 */
export async function startNatsServer(opts: { port?: number } = {}): Promise<NatsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bitween-api-test-'));
  const args = ['-a', '127.0.0.1', '-p', String(opts.port ?? -1), '-js', '-sd', dir];
  const proc: ChildProcess = spawn('nats-server', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    let port: string | undefined;
    const lines = createInterface({ input: proc.stderr! });
    lines.on('line', (line) => {
      port ??= /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      if (/Server is ready/.test(line)) {
        if (port) resolve(`nats://127.0.0.1:${port}`);
        else reject(new Error('nats-server is ready but did not say its port'));
      }
    });
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}`)));
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { url, port: Number(new URL(url).port), stop };
}
