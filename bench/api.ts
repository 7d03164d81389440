/**
 * Benchmark of the api's read paths with a realistic load: 1,000 own torrents and 50 contacts
 * × 1,000 shares. Reports p50/p99 latency and requests/s per route (autocannon).
 *
 *   npm run bench:api            (builds first; about 3 minutes)
 *   BENCH_SECONDS=20 BENCH_CONNECTIONS=10 node bench/api.ts
 *   BENCH_ROUTES=search BENCH_API_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/api.ts
 *
 * What runs: a real nats-server (JetStream), a real torrent engine holding 1,000 real torrents
 * (tiny files shared through `engine.add-path`) and the real api, each as its own process.
 * Friends' shares: a NATS responder that answers `xmpp.shares` with 50 generated contacts ×
 * 1,000 shares, paged by the gateway's own code (`ContactIndex` and `sharesPage` from
 * apps/xmpp-gateway/dist); no XMPP server and no gateway process run (the gateway answers the
 * same command from the lists PEP delivered).
 *
 * 50,000 shares are ~4.5 MB of JSON; nats-server runs with its default max payload (1 MiB), so
 * the api fetches them in pages as it does against a real gateway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { engine, serviceNames, xmpp } from '@bitween/messages';
import { Bus, ServiceHost } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import autocannon from 'autocannon';
import { ContactIndex } from '../apps/xmpp-gateway/dist/domain/contact-index.js';
import { sharesPage } from '../apps/xmpp-gateway/dist/domain/shares-pages.js';

const TORRENTS = Number(process.env['BENCH_TORRENTS'] ?? 1000);
const CONTACTS = Number(process.env['BENCH_CONTACTS'] ?? 50);
const SHARES = Number(process.env['BENCH_SHARES'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
/** Concurrent connections, one run per value (1: one frontend; 10: a busy api). */
const CONNECTIONS = (process.env['BENCH_CONNECTIONS'] ?? '1,10').split(',').map(Number);
const GOAL_P99_MS = 10;
/** Only the routes whose name contains one of these (comma-separated), e.g. `search`. */
const ROUTES = (process.env['BENCH_ROUTES'] ?? '').split(',').filter(Boolean);
/** Extra node flags for the api process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const API_NODE_FLAGS = (process.env['BENCH_API_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
const TOKEN = 'bench-token-0123456789';

const repo = fileURLToPath(new URL('../', import.meta.url));
const log = createLogger('bench', 'warn');
const children: ChildProcess[] = [];
let workDir = '';
let benchNc: { close(): Promise<void> } | undefined;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Start a process and resolve once a line of its output matches `ready`. */
function start(
  label: string,
  cmd: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(cmd, args, {
    cwd: repo,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} not ready after 120 s`)), 120_000);
    const onLine = (line: string) => {
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  if (workDir) await rm(workDir, { recursive: true, force: true });
}

const hex = () => randomBytes(20).toString('hex');
const WORDS = ['holiday', 'backup', 'music', 'album', 'photos', 'talk', 'paper', 'video', 'notes', 'linux'];

/** The contacts' lists, held as the gateway holds what PEP delivered. */
function generatedContacts(): ContactIndex {
  const index = new ContactIndex();
  for (let c = 0; c < CONTACTS; c++) {
    index.replace(
      `friend${c}@example.org`,
      [
        {
          resource: 'bitween',
          endpoints: [{ address: `198.51.100.${(c % 250) + 1}`, port: 8000 }],
          shares: Array.from({ length: SHARES }, (_, s) => ({
            hash: hex(),
            name: `${WORDS[s % WORDS.length]}-${c}-${s}.tar`,
            size: 1_000_000 + s,
          })),
        },
      ],
      Date.now(),
    );
  }
  return index;
}

interface Target {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

async function probe(base: string, t: Target): Promise<{ ok: boolean; bytes: number; note: string }> {
  const res = await fetch(base + t.path, {
    method: t.method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(t.headers ?? {}) },
    ...(t.body ? { body: t.body } : {}),
  });
  const text = await res.text();
  const rpcError = /"error":\{"code"/.test(text.slice(0, 200)) ? text.slice(0, 200) : '';
  return { ok: res.ok && !rpcError, bytes: text.length, note: rpcError || `HTTP ${res.status}` };
}

async function bench(base: string, t: Target, connections: number) {
  const result = await autocannon({
    url: base + t.path,
    method: t.method,
    connections,
    duration: SECONDS,
    headers: { authorization: `Bearer ${TOKEN}`, ...(t.headers ?? {}) },
    ...(t.body ? { body: t.body } : {}),
  });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

async function main(): Promise<void> {
  workDir = await mkdtemp(join(tmpdir(), 'bitween-bench-'));
  const shares = join(workDir, 'shares');
  await mkdir(shares);
  await mkdir(join(workDir, 'downloads'));

  // NATS with JetStream and its default max_payload (1 MiB).
  const natsPort = await freePort();
  await writeFile(
    join(workDir, 'nats.conf'),
    `listen: "127.0.0.1:${natsPort}"\njetstream { store_dir: "${join(workDir, 'js')}" }\n`,
  );
  await start('nats-server', 'nats-server', ['-c', join(workDir, 'nats.conf')], {}, /Server is ready/);
  const natsUrl = `nats://127.0.0.1:${natsPort}`;

  await start(
    'torrent-engine',
    process.execPath,
    [join(repo, 'apps/torrent-engine/dist/main.js')],
    {
      BITWEEN_NATS_URL: natsUrl,
      BITWEEN_LOG_LEVEL: 'info',
      BITWEEN_ENGINE_ID: 'bench-engine',
      BITWEEN_TORRENT_PORT: '0',
      BITWEEN_ANNOUNCE_ADDRESSES: '127.0.0.1',
      BITWEEN_DOWNLOAD_DIR: join(workDir, 'downloads'),
      BITWEEN_STATE_DIR: join(workDir, 'state'),
      BITWEEN_ALLOWED_PATHS: workDir,
    },
    /"msg":"ready"/,
  );

  const nc = await connectNats(natsUrl, 'bench', log);
  benchNc = nc;
  const bus = new Bus(nc, log);

  say(`loading ${TORRENTS} torrents into the real engine (tiny files shared with engine.add-path)…`);
  const loadStarted = Date.now();
  const BATCH = 20;
  for (let i = 0; i < TORRENTS; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, TORRENTS - i) }, async (_, j) => {
        const file = join(shares, `file-${i + j}.bin`);
        await writeFile(file, randomBytes(1024));
        const r = await bus.request(engine.addPath, { path: file }, { timeoutMs: 120_000 });
        if (!r.ok) throw r.error;
      }),
    );
  }
  say(`  loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

  const contacts = generatedContacts();
  const gateway = await ServiceHost.start(bus, { name: serviceNames.gateway, version: '0.0.0-bench' });
  gateway.serve(xmpp.shares, ({ cursor }) => sharesPage(contacts, cursor, nc.info?.max_payload));
  gateway.serve(xmpp.status, () => ({ jid: 'bench@example.org/bitween', online: true, contacts: CONTACTS }));
  say(
    `friends' shares: a NATS responder pages ${CONTACTS} generated contacts × ${SHARES} shares with the gateway's code (GENERATED DATA, no XMPP)`,
  );

  const apiPort = await freePort();
  await start(
    'api',
    process.execPath,
    [...API_NODE_FLAGS, join(repo, 'apps/api/dist/main.js')],
    {
      BITWEEN_NATS_URL: natsUrl,
      BITWEEN_LOG_LEVEL: 'info',
      BITWEEN_API_HOST: '127.0.0.1',
      BITWEEN_API_PORT: String(apiPort),
      BITWEEN_API_TOKEN: TOKEN,
      BITWEEN_DEFAULT_TIMEOUT_MS: '30000',
    },
    /"msg":"ready"/,
  );
  const base = `http://127.0.0.1:${apiPort}`;
  const rpc = (method: string): Target => ({
    name: `POST /api ${method}`,
    method: 'POST',
    path: '/api',
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method }),
    headers: { 'content-type': 'application/json' },
  });
  const targets: Target[] = [
    { name: 'GET /v1/torrents', method: 'GET', path: '/v1/torrents' },
    { name: 'GET /v1/search?q=holiday-7', method: 'GET', path: '/v1/search?q=holiday-7' },
    rpc('bt.get_torrents'),
    rpc('xmpp.get_shares'),
  ];

  say(`\n${SECONDS} s per route and connection count, goal p99 < ${GOAL_P99_MS} ms\n`);
  say('route                              conns  p50 ms   p99 ms    req/s   body bytes  note');
  let missed = false;
  for (const t of targets.filter((t) => ROUTES.length === 0 || ROUTES.some((r) => t.name.includes(r)))) {
    const p = await probe(base, t);
    if (!p.ok) {
      say(`${t.name.padEnd(34)} skipped: ${p.note}`);
      continue;
    }
    for (const connections of CONNECTIONS) {
      const r = await bench(base, t, connections);
      const goal = r.p99 < GOAL_P99_MS ? 'goal met' : 'GOAL MISSED';
      if (r.p99 >= GOAL_P99_MS) missed = true;
      const bad = r.non2xx || r.errors ? ` (${r.non2xx} non-2xx, ${r.errors} errors of ${r.total})` : '';
      say(
        `${t.name.padEnd(34)} ${String(connections).padStart(5)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(8)} ${r.rps.toFixed(0).padStart(8)} ${String(p.bytes).padStart(12)}  ${goal}${bad}`,
      );
    }
  }
  say(
    `\ntorrents: real engine (${TORRENTS}); shares: generated data paged by the gateway's code (${CONTACTS}×${SHARES}); NATS max_payload ${nc.info?.max_payload ?? '?'} bytes (default).`,
  );
  await gateway.stop();
  await nc.close();
  if (missed) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
} finally {
  await benchNc?.close().catch(() => undefined);
  await stopAll();
}
