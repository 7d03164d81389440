// Streaming benchmark (issue 24): HTTP Range streaming of a friend's file through the api, in one
// run:
//   - time to first byte of a stream of a file whose pieces are all missing, from a friend's
//     engine over loopback (our engine has just fetched the metadata), and of a seek to 80 %
//     right after it;
//   - throughput of streaming the complete file through api ← NATS ← engine with curl, against
//     curl on a tiny Node static server reading the same file (page cache), with the api's and
//     the engine's CPU-seconds per GiB and peak RSS (the static server's too).
//
//   node bench/streaming.mjs [--size-mib 1024] [--runs 3] [--keep] [--max-payload-mib N]
//                            [--baseline-api DIR]
//
// Rows: api (curl), a static server (curl), engine.read from this process, and NATS alone (an
// echo child answering with ready buffers: the transport's ceiling).
//
// --max-payload-mib sets our nats-server's max_payload (default 1 MiB): chunks are that size
// less room for headers.
//
// --baseline-api DIR also starts the api built in DIR (a copy of apps/api/dist of another commit,
// placed where it resolves the repository's node_modules, e.g. a folder apps/api/dist of a tree
// whose node_modules links to this one's) on the same engine: a before/after row in one run.
//
// BENCH_API_NODE_FLAGS='--cpu-prof --cpu-prof-dir=DIR' profiles the api (written when it exits),
// BENCH_ENGINE_NODE_FLAGS the same for our engine.
//
// Real processes: two nats-servers, two torrent engines (the friend's and ours) and our api
// (apps/*/dist, started with their launch.json as production does), driven over NATS and HTTP.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { engine, readChunkBytes, xmpp } from '@bitween/messages';
import { readLaunch } from '@bitween/runtime';
import {
  cpuSeconds,
  median,
  ok,
  repoRoot,
  sampleRss,
  startEngine,
  startNats,
  writeRandomFile,
} from './lib/procs.mjs';

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'max-payload-mib': { type: 'string' },
    'baseline-api': { type: 'string' },
  },
});
const size = Number(args['size-mib']) * 1024 * 1024;
const runs = Number(args.runs);
const GiB = 1024 ** 3;
const KEY = 'bench-streaming-key-0123456789';
const say = (s) => console.error(s);

async function freePort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** A service started as production starts it (`main`: another build); resolves once its "ready" line is out. */
async function startApp(name, env, main = join(repoRoot, 'apps', name, 'dist/main.js')) {
  const readyRe = /"msg":"ready"/;
  const dir = join(repoRoot, 'apps', name);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const launch = readLaunch(dir);
  const flags = (process.env[`BENCH_${name.toUpperCase()}_NODE_FLAGS`] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...launch.nodeArgs, ...flags, main], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...launch.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  let out = '';
  await new Promise((resolve, reject) => {
    const onData = (d) => {
      out = (out + d).slice(-8000);
      if (readyRe.test(out)) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out = (out + d).slice(-8000)));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
  child.stdout.resume();
  return child;
}

/** GET `path` with optional Range: ms until the status line and until the first body byte; then hang up. */
function firstByte(port, path, range) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path, headers: { 'x-api-key': KEY, ...(range ? { range } : {}) } },
      (res) => {
        const headersMs = performance.now() - t0;
        res.once('data', () => {
          const ms = performance.now() - t0;
          req.destroy();
          resolve({ status: res.statusCode, headersMs, ms });
        });
        res.once('error', () => undefined);
      },
    );
    req.once('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

/** curl the URL to /dev/null: bytes, seconds. */
async function curl(url, headers = []) {
  const { stdout } = await promisify(execFile)('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{size_download} %{time_total}',
    ...headers.flatMap((h) => ['-H', h]),
    url,
  ]);
  const [bytes, secs] = stdout.trim().split(' ').map(Number);
  return { bytes, secs };
}

/** A tiny static file server (Node, same version): the file with Content-Length, read 1 MiB at a time. */
async function startStatic(file) {
  const port = await freePort();
  const code = `
    const http = require('node:http'); const fs = require('node:fs');
    const size = fs.statSync(${JSON.stringify(file)}).size;
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      fs.createReadStream(${JSON.stringify(file)}, { highWaterMark: 1 << 20 }).pipe(res);
    }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return { child, port };
}

/**
 * The transport's own ceiling: a child process (same Node, same NATS client) answering every
 * request on one subject with a preallocated buffer of `chunk` bytes; no disk, no bitween code.
 */
async function startNatsEcho(url, chunk) {
  const code = `
    import { connect } from '@nats-io/transport-node';
    const nc = await connect({ servers: ${JSON.stringify(url)} });
    const data = new Uint8Array(${chunk}).fill(7);
    nc.subscribe('bench.echo', { callback: (_err, msg) => msg.respond(data) });
    await nc.flush();
    console.log('ready');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child;
}

// ---- set-up --------------------------------------------------------------------------------

const root = await mkdtemp(join(tmpdir(), 'bench-streaming-'));
const srcDir = join(root, 'friend', 'src');
const payload = join(srcDir, 'film.mp4');
await mkdir(srcDir, { recursive: true });
say(`writing ${size} random bytes to ${payload}`);
await writeRandomFile(payload, size);

const natsFriend = await startNats();
// Our node's nats-server: its max_payload sets the chunk size of engine.read (readChunkBytes).
const natsOwn = await startNats(
  args['max-payload-mib'] ? { maxPayload: Number(args['max-payload-mib']) * 1024 * 1024 } : {},
);
const friend = await startEngine({ id: 'friend', nats: natsFriend, dir: join(root, 'friend') });
const own = await startEngine({
  id: 'own',
  nats: natsOwn,
  dir: join(root, 'own'),
  nodeArgs: (process.env.BENCH_ENGINE_NODE_FLAGS ?? '').split(' ').filter(Boolean),
});
const apiEnv = (port) => ({
  BITWEEN_NATS_URL: natsOwn.url,
  BITWEEN_LOG_LEVEL: 'info',
  BITWEEN_API_HOST: '127.0.0.1',
  BITWEEN_API_PORT: String(port),
  BITWEEN_API_TOKEN: KEY,
});
const apiPort = await freePort();
const api = await startApp('api', apiEnv(apiPort));
const baselinePort = args['baseline-api'] ? await freePort() : 0;
const baseline = args['baseline-api']
  ? await startApp('api', apiEnv(baselinePort), join(args['baseline-api'], 'main.js'))
  : null;
say('sharing the file on the friend’s engine');
const { torrent } = ok(
  await natsFriend.bus.request(engine.addPath, { path: payload }, { timeoutMs: 600_000 }),
);
const hash = torrent.hash;
const content = `/v1/torrents/${hash}/files/0/content`;
const rest = async (method, path, body) => {
  const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
    method,
    headers: { 'x-api-key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

// ---- time to first byte, pieces missing ----------------------------------------------------

say('adding the friend’s share on our node (our gateway’s part played by the bench: xmpp.peers)');
const addedAt = performance.now();
await rest('POST', '/v1/torrents', { hash });
natsOwn.bus.publish(xmpp.peers, {
  peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: friend.port }] }],
});
let meta;
for (;;) {
  meta = await rest('GET', `/v1/torrents/${hash}`);
  if (meta.files.length > 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
const metadataMs = performance.now() - addedAt;
const cold = await firstByte(apiPort, content, 'bytes=0-');
const progressAtSeek = (await rest('GET', `/v1/torrents/${hash}`)).progress;
const seekAt = Math.floor(size * 0.8);
const seek = await firstByte(apiPort, content, `bytes=${seekAt}-`);
say('waiting for the download to complete');
await own.waitFor((l) => l.msg === 'download complete' && l.hash === hash, 'download complete');

// ---- throughput, complete file -------------------------------------------------------------

const ownFile = join(root, 'own', 'downloads', 'film.mp4');
const server = await startStatic(ownFile);
const echo = await startNatsEcho(natsOwn.url, readChunkBytes(natsOwn.bus.nc.info?.max_payload));
/** The same number of bytes from the echo child, as raw NATS requests, 8 in flight. */
async function readEcho() {
  const t0 = performance.now();
  const chunk = readChunkBytes(natsOwn.bus.nc.info?.max_payload);
  let next = 0;
  let got = 0;
  const one = async () => {
    while (next < size) {
      next += chunk;
      const msg = await natsOwn.bus.nc.request('bench.echo', new Uint8Array(0), { timeout: 60_000 });
      got += Math.min(msg.data.length, size - got);
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  return { bytes: got, secs: (performance.now() - t0) / 1000 };
}
/** The whole file with engine.read straight from this process (no api, no HTTP), 8 reads in flight. */
async function readDirect() {
  const t0 = performance.now();
  const chunk = readChunkBytes(natsOwn.bus.nc.info?.max_payload);
  let next = 0;
  let got = 0;
  const stream = `bench-${Date.now()}`;
  const one = async () => {
    while (next < size) {
      const offset = next;
      const length = Math.min(chunk, size - offset);
      next += length;
      const r = ok(
        await natsOwn.bus.requestRaw(
          engine.read,
          { hash, file: 0, offset, length, stream },
          { params: { engineId: 'own' }, timeoutMs: 60_000 },
        ),
      );
      got += r.data.length;
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  await natsOwn.bus.request(
    engine.streamClose,
    { stream, reason: 'finished' },
    { params: { engineId: 'own' } },
  );
  return { bytes: got, secs: (performance.now() - t0) / 1000 };
}

const rows = { api: [], baseline: [], static: [], direct: [], nats: [] };
const pidsOf = {
  api: [api.pid, own.pid, natsOwn.pid],
  baseline: [baseline?.pid, own.pid, natsOwn.pid],
  direct: [own.pid, natsOwn.pid],
  nats: [echo.pid, natsOwn.pid],
  static: [server.child.pid],
};
for (let run = 0; run < runs; run++) {
  for (const kind of ['static', ...(baseline ? ['baseline'] : []), 'api', 'direct', 'nats']) {
    const pids = pidsOf[kind];
    const cpu0 = pids.map(cpuSeconds);
    const rss = sampleRss(pids);
    const r =
      kind === 'api' || kind === 'baseline'
        ? await curl(`http://127.0.0.1:${kind === 'api' ? apiPort : baselinePort}${content}`, [
            `x-api-key: ${KEY}`,
          ])
        : kind === 'direct'
          ? await readDirect()
          : kind === 'nats'
            ? await readEcho()
            : await curl(`http://127.0.0.1:${server.port}/film.mp4`);
    const peaks = rss.stop();
    const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]);
    if (r.bytes !== size) throw new Error(`${kind}: ${r.bytes} bytes instead of ${size}`);
    rows[kind].push({ mbs: size / 1e6 / r.secs, cpu: cpu.map((c) => (c * GiB) / size), peaks });
  }
}

// ---- report --------------------------------------------------------------------------------

const fmt = (n, d = 0) => n.toFixed(d);
const MiB = (b) => fmt(b / 1024 / 1024);
const med = (list, f) => median(list.map(f));
const apiMbs = med(rows.api, (r) => r.mbs);
const staticMbs = med(rows.static, (r) => r.mbs);
const chunk = readChunkBytes(natsOwn.bus.nc.info?.max_payload);
console.log(
  `\nStreaming a ${args['size-mib']} MiB file, ${runs} run(s), medians; engine.read chunks of ${chunk / 1024} KiB\n`,
);
console.log('| measure | value | goal |');
console.log('| --- | --- | --- |');
console.log(`| metadata from the friend (add → files listed) | ${fmt(metadataMs)} ms | |`);
console.log(
  `| TTFB, all pieces missing (GET bytes=0-) | ${fmt(cold.ms)} ms (headers ${fmt(cold.headersMs)} ms, ${cold.status}) | < 1000 ms |`,
);
console.log(
  `| TTFB after a seek to 80 % (download at ${fmt(progressAtSeek * 100, 1)} %) | ${fmt(seek.ms)} ms (${seek.status}) | < 1000 ms |`,
);
console.log('\n| complete file | MB/s | CPU-s/GiB | peak RSS MiB |');
console.log('| --- | --- | --- | --- |');
const apiRow = (label, list) =>
  console.log(
    `| ${label} | ${fmt(med(list, (r) => r.mbs))} | api ${fmt(
      med(list, (r) => r.cpu[0]),
      2,
    )}, engine ${fmt(
      med(list, (r) => r.cpu[1]),
      2,
    )}, nats-server ${fmt(
      med(list, (r) => r.cpu[2]),
      2,
    )} | api ${MiB(med(list, (r) => r.peaks[0]))}, engine ${MiB(med(list, (r) => r.peaks[1]))} |`,
  );
if (baseline) apiRow(`baseline api (${args['baseline-api']}) ← NATS ← engine (curl)`, rows.baseline);
apiRow('api ← NATS ← engine (curl)', rows.api);
console.log(
  `| Node static server (curl) | ${fmt(staticMbs)} | ${fmt(
    med(rows.static, (r) => r.cpu[0]),
    2,
  )} | ${MiB(med(rows.static, (r) => r.peaks[0]))} |`,
);
console.log(
  `| engine → NATS → this process (engine.read, 8 in flight, no HTTP) | ${fmt(med(rows.direct, (r) => r.mbs))} | engine ${fmt(
    med(rows.direct, (r) => r.cpu[0]),
    2,
  )}, nats-server ${fmt(
    med(rows.direct, (r) => r.cpu[1]),
    2,
  )} | engine ${MiB(med(rows.direct, (r) => r.peaks[0]))} |`,
);
console.log(
  `| NATS alone: echo child → NATS → this process (same chunks, 8 in flight, no disk, no bitween code) | ${fmt(med(rows.nats, (r) => r.mbs))} | echo ${fmt(
    med(rows.nats, (r) => r.cpu[0]),
    2,
  )}, nats-server ${fmt(
    med(rows.nats, (r) => r.cpu[1]),
    2,
  )} | echo ${MiB(med(rows.nats, (r) => r.peaks[0]))} |`,
);
console.log(`\napi / static: ${(apiMbs / staticMbs).toFixed(2)}× (goal ≥ 0.8× and ≥ 400 MB/s)`);

server.child.kill();
echo.kill();
for (const a of [api, baseline].filter(Boolean)) {
  a.kill('SIGTERM');
  await new Promise((resolve) => (a.exitCode === null ? a.once('exit', resolve) : resolve()));
}
await Promise.all([friend.stop(), own.stop()]);
await Promise.all([natsFriend.stop(), natsOwn.stop()]);
if (!args.keep) await rm(root, { recursive: true, force: true });
else say(`kept ${root}`);
// Something (the bus's watches, as in bench:seeds and bench:takeover) keeps the event loop alive
// after the NATS connections closed: without this the bench held the heavy-run lock until killed.
process.exit(0);
