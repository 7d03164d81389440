// Processes for the benchmarks: nats-server, torrent engines (apps/torrent-engine/dist) and the
// libtorrent peer the tests use too (test/src/fixtures/lt-peer.py), with their output as JSON lines
// and their CPU time from /proc.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Bus, EngineRegistry } from '@bitween/bus';
import { readLaunch } from '@bitween/runtime';
import { connect } from '@nats-io/transport-node';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const engineMain = join(repoRoot, 'apps/torrent-engine/dist/main.js');
const ltPeer = join(repoRoot, 'test/src/fixtures/lt-peer.py');
const CLK_TCK = 100; // Linux USER_HZ

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const started = new Set();
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** CPU seconds (user + system, all threads) a live process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
}

/** Resident set size of a live process in bytes (VmRSS), 0 once it is gone. */
export function rssBytes(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Peak RSS of processes while something runs: samples every `everyMs` (VmHWM cannot be reset
 * per transfer, and a long-lived seeder's peak may come from creating the torrent).
 */
export function sampleRss(pids, everyMs = 50) {
  const peaks = pids.map(() => 0);
  const sample = () => pids.forEach((pid, i) => (peaks[i] = Math.max(peaks[i], rssBytes(pid))));
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** A child whose stdout lines are parsed as JSON (others kept as {msg: line}). */
function track(child, label) {
  started.add(child);
  const lines = [];
  const waiters = new Set();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  exited.then((how) => {
    started.delete(child);
    // Its last error lines say why (a service logs why it stops at level 50 or above).
    const why = lines
      .filter((l) => l.level >= 50)
      .slice(-3)
      .map((l) => `${l.msg}${l.err?.message ? `: ${l.err.message}` : ''}`)
      .join('; ');
    for (const w of waiters)
      w.reject(new Error(`${label} exited (${how}) while waiting for ${w.what}${why ? ` (${why})` : ''}`));
  });
  createInterface({ input: child.stdout }).on('line', (raw) => {
    let line;
    try {
      line = JSON.parse(raw);
    } catch {
      line = { msg: raw };
    }
    line.receivedAt = performance.now();
    lines.push(line);
    for (const w of waiters) {
      if (w.match(line)) {
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return {
    pid: child.pid,
    lines,
    exited,
    stderr: () => stderr,
    /** The first line (already seen or still to come) that matches. */
    waitFor(match, what, timeoutMs = 600_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, what, resolve, reject };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${label}: timed out waiting for ${what}`));
        }, timeoutMs);
        w.resolve = (v) => (clearTimeout(timer), resolve(v));
        w.reject = (e) => (clearTimeout(timer), reject(e));
        waiters.add(w);
      });
    },
    cpu: () => cpuSeconds(child.pid),
    rss: () => rssBytes(child.pid),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    child,
  };
}

/** A nats-server on a free loopback port with JetStream; `maxPayload` (bytes) overrides its 1 MiB default. */
export async function startNats({ maxPayload } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-nats-'));
  const conf = [];
  if (maxPayload) {
    await writeFile(join(dir, 'nats.conf'), `max_payload: ${maxPayload}\n`);
    conf.push('-c', join(dir, 'nats.conf'));
  }
  const child = spawn(
    'nats-server',
    [...conf, '-a', '127.0.0.1', '-p', '-1', '-js', '-sd', join(dir, 'js')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` },
    },
  );
  started.add(child);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (d) => {
      out += d;
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`nats-server exited: ${out}`)));
  });
  const url = `nats://127.0.0.1:${port}`;
  const nc = await connect({ servers: url });
  return {
    url,
    pid: child.pid,
    bus: new Bus(nc, silent),
    registry: await EngineRegistry.open(nc, silent),
    async stop() {
      await nc.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Checked when this module loads. Engines run on this process's Node (`process.execPath`). The engine is built for the Node in
 * package.json's `engines` (from node_modules/.bin, which `npm run bench:*` puts first on PATH);
 * a machine's own `node` may be older, and its numbers (GC above all) are not the engine's.
 */
function checkNodeVersion() {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const wanted = Number(/\d+/.exec(pkg.engines?.node ?? '')?.[0] ?? 0);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < wanted)
    throw new Error(
      `benchmarks need Node ${wanted}+ (this is ${process.version}): run them with npm run bench:<name>, or put node_modules/.bin first on PATH`,
    );
}
checkNodeVersion();

/**
 * A torrent engine process (built app) with its own NATS, started as production does (its
 * launch.json; `nodeArgs` and `extraEnv` come after it, so they can override it); resolves once it
 * logs "ready" (within `readyTimeoutMs`: an engine restoring many torrents takes longer).
 */
export async function startEngine({ id, nats, dir, extraEnv = {}, nodeArgs = [], readyTimeoutMs = 120_000 }) {
  if (!existsSync(engineMain)) throw new Error(`${engineMain} is missing: run npm run build first`);
  const launch = readLaunch(join(repoRoot, 'apps/torrent-engine'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...launch.env,
    BITWEEN_NATS_URL: nats.url,
    BITWEEN_LOG_LEVEL: 'info',
    BITWEEN_ENGINE_ID: id,
    BITWEEN_TORRENT_PORT: '0',
    BITWEEN_ANNOUNCE_ADDRESSES: '127.0.0.1',
    BITWEEN_DOWNLOAD_DIR: join(dir, 'downloads'),
    BITWEEN_STATE_DIR: join(dir, 'state'),
    // The benchmarks' files live in temp folders; there is no gateway, so the peers (the other
    // engine, libtorrent) dial from loopback without being anybody's advertised contact.
    BITWEEN_SHARE_ROOTS: tmpdir(),
    BITWEEN_PEER_ALLOW: '127.0.0.1',
    // The engines dial each other (and libtorrent) on loopback, which the dial policy refuses.
    BITWEEN_DIAL_ALLOW: '127.0.0.1',
    // Loopback only: never ask the machine's router for a port mapping.
    BITWEEN_PORT_MAPPING: 'off',
    ...extraEnv,
  };
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...launch.nodeArgs, ...nodeArgs, engineMain], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const engine = { ...track(child, `engine ${id}`), id, spawnedAt };
  const ready = await engine.waitFor((l) => l.msg === 'ready', `engine ${id} to be ready`, readyTimeoutMs);
  const announcing = await engine.waitFor((l) => l.msg === 'announcing', `engine ${id} to announce`);
  return { ...engine, readyAt: ready.receivedAt, port: announcing.port };
}

/**
 * The libtorrent peer (test/src/fixtures/lt-peer.py) with `env` (MODE=create|seed|leech and what
 * that mode takes; see that file): it prints JSON lines with `msg` ("ready", "created",
 * "download complete").
 */
export function startLibtorrent(env, label = `libtorrent ${env.MODE}`) {
  const child = spawn('/usr/bin/python3', [ltPeer], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const peer = track(child, label);
  return {
    ...peer,
    /** SIGTERM: the peer stops. */
    async stop() {
      child.kill('SIGTERM');
      return peer.exited;
    },
  };
}

/** Writes `size` random bytes to `path` (16 MiB at a time: a large payload never sits in memory). */
export async function writeRandomFile(path, size) {
  const fh = await open(path, 'w');
  try {
    for (let left = size; left > 0;) {
      const chunk = randomBytes(Math.min(left, 16 * 1024 * 1024));
      await fh.write(chunk);
      left -= chunk.length;
    }
  } finally {
    await fh.close();
  }
}

/** Throws the error of a failed command reply. */
export function ok(reply) {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
