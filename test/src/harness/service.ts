import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLaunch } from '@bitween/runtime';
import { spawnChild, type Child, type Stream } from './child.js';
import type { Cleanup } from './cleanup.js';
import { natsCredentialsEnv } from './nats.js';
import { Feed } from './wait.js';

export type ServiceName = 'api' | 'torrent-engine' | 'xmpp-gateway';

/** One pino log line (stdout JSON). Non-JSON stdout lines become `{ level: 30, msg: line }`; stderr lines `{ level: 50, msg: line, stream: 'stderr' }`. */
export interface LogLine {
  level: number;
  msg: string;
  service?: string;
  [k: string]: unknown;
}

/** A Node script started by the harness that logs pino JSON on stdout. */
export interface ScriptProcess {
  label: string;
  pid: number;
  /** Every log line so far, oldest first. */
  logs: LogLine[];
  /** Raw stdout and stderr, kept after the test: reports/logs/<label>.log */
  logFile: string;
  /** Resolves with the exit code (null if killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves with the first log line, already there or still to come, that matches; rejects on timeout (default 60 s) or exit. */
  waitForLog(
    match: (line: LogLine) => boolean,
    opts?: { what?: string; timeoutMs?: number },
  ): Promise<LogLine>;
  /** SIGTERM (SIGKILL after 10 s), wait for the exit; resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

export interface ServiceProcess extends ScriptProcess {
  name: ServiceName;
}

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const logDir = join(repoRoot, 'reports', 'logs');

/**
 * Starts a built app (`apps/<name>/dist/main.js`) as production does (its launch.json: Node flags,
 * environment) with only PATH, HOME, those and `env` in its environment; resolves once it logs
 * "ready". Stopped by `cleanup` at the latest. When BITWEEN_NATS_URL is a server the harness
 * started with authorization, the service gets its own seed file (BITWEEN_NATS_NKEY_SEED_FILE),
 * as `npm start` and docker compose give it, unless `env` names one (or sets it empty: none).
 */
export async function startService(
  cleanup: Cleanup,
  opts: { name: ServiceName; label: string; env: Record<string, string>; readyTimeoutMs?: number },
): Promise<ServiceProcess> {
  const script = join(repoRoot, 'apps', opts.name, 'dist', 'main.js');
  if (!existsSync(script))
    throw new Error(`${script} does not exist: build the apps first (npx nx run-many -t build)`);
  const launch = readLaunch(join(repoRoot, 'apps', opts.name));
  return {
    name: opts.name,
    ...(await startScript(cleanup, {
      ...opts,
      script,
      nodeArgs: launch.nodeArgs,
      env: { ...launch.env, ...natsCredentialsEnv(opts.name, opts.env), ...opts.env },
    })),
  };
}

/** Log files already opened by this process: the first start of a label truncates its file, restarts append. */
const opened = new Set<string>();

/**
 * startService for any script: `process.execPath script` (or `interpreter script`, e.g.
 * /usr/bin/python3), cwd = repo root, ready on a log line with msg "ready".
 */
export async function startScript(
  cleanup: Cleanup,
  opts: {
    label: string;
    script: string;
    env: Record<string, string>;
    readyTimeoutMs?: number;
    interpreter?: string;
    /** Flags for the interpreter, before the script. */
    nodeArgs?: string[];
  },
): Promise<ScriptProcess> {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${opts.label}.log`);
  const fd = openSync(logFile, opened.has(logFile) ? 'a' : 'w');
  opened.add(logFile);
  const echo = process.env['HARNESS_ECHO_LOGS'] === '1';
  const feed = new Feed<LogLine>((line) => JSON.stringify(line));
  const onLine = (raw: string, stream: Stream) => {
    writeSync(fd, `${raw}\n`); // synchronous: the file is complete even if the test run dies
    if (echo) process.stderr.write(`[${opts.label}] ${raw}\n`);
    feed.push(stream === 'stdout' ? parseLine(raw) : { level: 50, msg: raw, stream });
  };
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  let child: Child;
  try {
    child = await spawnChild(opts.interpreter ?? process.execPath, [...(opts.nodeArgs ?? []), opts.script], {
      cwd: repoRoot,
      env: { ...env, ...opts.env },
      onLine,
    });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const exited = child.exited.then((code) => {
    closeSync(fd);
    feed.end(`${opts.label} exited with ${code ?? child.proc.signalCode}`);
    return code;
  });
  const stop = async () => {
    await child.stop(10_000);
    return exited;
  };
  cleanup.add(`${opts.label} (pid ${child.pid})`, stop);
  const proc: ScriptProcess = {
    label: opts.label,
    pid: child.pid,
    logs: feed.items,
    logFile,
    exited,
    waitForLog: (match, o = {}) =>
      feed.wait(match, { what: o.what ?? `a log line of ${opts.label}`, timeoutMs: o.timeoutMs }),
    stop,
  };
  try {
    await proc.waitForLog((line) => line.msg === 'ready', {
      what: `${opts.label} to be ready`,
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return proc;
}

function parseLine(raw: string): LogLine {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      return {
        ...obj,
        level: typeof obj['level'] === 'number' ? obj['level'] : 30,
        msg: typeof obj['msg'] === 'string' ? obj['msg'] : '',
      };
    }
  } catch {
    // not JSON: kept as a message
  }
  return { level: 30, msg: raw };
}
