import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { trackChild } from './cleanup.js';
import { Feed } from './wait.js';

export type Stream = 'stdout' | 'stderr';

/** A child process started by the harness, with its output lines (stdout and stderr, in arrival order). */
export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Every output line; ends when the process has exited. */
  output: Feed<string>;
  /** Resolves with the exit code (null if killed by a signal) once the process has exited and its output is read. */
  exited: Promise<number | null>;
  isAlive(): boolean;
  /** SIGTERM, then SIGKILL if it is still alive after `graceMs`; resolves with the exit code. Idempotent. */
  stop(graceMs: number): Promise<number | null>;
}

/** Spawns a process (stdin closed, output piped); resolves once it runs, rejects if it cannot start. */
export async function spawnChild(
  command: string,
  args: readonly string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string, stream: Stream) => void;
    /** Keep stdin open for `proc.stdin` (default: closed). */
    stdin?: boolean;
  } = {},
): Promise<Child> {
  const proc = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  await once(proc, 'spawn'); // rejects with the 'error' (e.g. ENOENT) if the process did not start
  trackChild(proc);
  const pid = proc.pid as number;
  const output = new Feed<string>((line) => line);
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: proc[stream]!, crlfDelay: Infinity }).on('line', (line) => {
      opts.onLine?.(line, stream);
      output.push(line);
    });
  }
  // 'close' comes after 'exit' and after the end of stdout/stderr, so no line is missed.
  const exited = new Promise<number | null>((resolve) => {
    proc.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      output.end(`${command} (pid ${pid}) exited with ${code ?? signal}`);
      resolve(code);
    });
  });
  const isAlive = () => proc.exitCode === null && proc.signalCode === null;
  let stopping: Promise<number | null> | undefined;
  const stop = (graceMs: number) => {
    stopping ??= (async () => {
      if (isAlive()) proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (isAlive()) proc.kill('SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  return { proc, pid, output, exited, isAlive, stop };
}
