import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/**
 * The debootstrap rootfs and the private dockerd's data (images, build cache), kept between runs:
 * `.cache/compose` (gitignored) unless BITWEEN_COMPOSE_CACHE names another folder.
 */
export const cacheDir = path.resolve(
  process.env['BITWEEN_COMPOSE_CACHE'] || path.join(repoRoot, '.cache', 'compose'),
);

export interface Run {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its output when it exits non-zero. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        env: opts.env ?? process.env,
        cwd: opts.cwd ?? repoRoot,
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 600_000,
      },
      (err, stdout, stderr) => {
        if (err) {
          const tail = (s: string) => s.split('\n').slice(-30).join('\n');
          reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${tail(stdout)}\n${tail(stderr)}`));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

export async function hasCommand(cmd: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
}

export interface Dockerd {
  host: string;
  /** Stops the daemon if this process started it (a running one is reused and left running). */
  stop(): Promise<void>;
}

/**
 * A private dockerd (no bridge, no iptables: containers use host networking) whose data root
 * lives in the cache dir, so images and the build cache survive between local runs. A daemon
 * already running on that data root (an earlier run that was left up) is reused.
 */
export async function startDockerd(logFile: string): Promise<Dockerd> {
  const dir = path.join(cacheDir, 'dockerd');
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const pidFile = path.join(dir, 'pid');
  const env = { ...process.env, DOCKER_HOST: host };
  const alive = async () =>
    run('docker', ['version', '--format', '{{.Server.Version}}'], { env }).then(
      () => true,
      () => false,
    );
  if (existsSync(pidFile) && isRunning(Number(readFileSync(pidFile, 'utf8'))) && (await alive())) {
    return { host, stop: () => Promise.resolve() };
  }
  const out = openSync(logFile, 'a');
  // exec-root: a short path (containerd's socket path must stay under 108 bytes), one per cache
  // dir so that the daemons of two checkouts do not meet.
  const execRoot = `/tmp/bitween-dockerd-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      execRoot,
      '--pidfile',
      pidFile,
      '-H',
      host,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
    ],
    { stdio: ['ignore', out, out], detached: false },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 60_000;
  while (!(await alive())) {
    if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}); see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s; see ${logFile}`);
    await delay(200);
  }
  return {
    host,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      // dockerd leaves its network namespace mounted in the exec root.
      await run('umount', [path.join(execRoot, 'netns', 'default')]).catch(() => undefined);
      await run('rm', ['-rf', '--one-file-system', execRoot]).catch(() => undefined);
    },
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value; a throwing check is retried. */
export async function waitFor<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  opts: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new Error(`timed out waiting for ${opts.what}${why}`);
    }
    await delay(opts.intervalMs ?? 500);
  }
}

/** Whether nothing listens on this TCP port on loopback right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive free ports below the usual ephemeral range (32768+), so that the other
 * tests' random ports (port 0) and the stack's fixed ones do not meet.
 */
export async function freeRange(count: number, taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => taken.has(p))) continue;
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) {
      for (const p of ports) taken.add(p);
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free ports`);
}
