// Transfer benchmark: 1 GiB over loopback TCP between two bitween torrent engines (real engine
// processes, driven over NATS), engine -> libtorrent, libtorrent -> engine and libtorrent <->
// libtorrent, in one run. Prints MB/s and CPU-seconds per GiB of each side (from /proc/<pid>/stat,
// all threads), peak RSS of each side during the transfer, and the ratio to libtorrent <->
// libtorrent.
//
//   node bench/transfer.mjs [--runs N] [--size-mib 1024] [--keep] [--only ee,el,le,ll]
//                           [--cpu-prof DIR] [--node-arg=--flag ...] [--engine-env=KEY=VALUE ...]
//
// --only runs some directions (ee engine -> engine, el engine -> libtorrent, le libtorrent ->
// engine, ll libtorrent <-> libtorrent); --cpu-prof writes V8 CPU profiles of both engines to DIR
// (at exit); --node-arg passes extra Node flags to the engines (e.g. --trace-gc); --engine-env
// sets an environment variable of both engines (e.g. MALLOC_ARENA_MAX=2); --logs writes
// each engine's output to DIR/<engine>.log.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { engine, xmpp } from '@bitween/messages';
import {
  median,
  ok,
  sampleRss,
  startEngine,
  startLibtorrent,
  startNats,
  writeRandomFile,
} from './lib/procs.mjs';
import { pieceLengthFor } from '../apps/torrent-engine/dist/piece-length.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    'size-mib': { type: 'string', default: '1024' },
    keep: { type: 'boolean', default: false },
    only: { type: 'string', default: 'ee,el,le,ll' },
    'cpu-prof': { type: 'string' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'engine-env': { type: 'string', multiple: true, default: [] },
    logs: { type: 'string' },
  },
});
const only = new Set(args.only.split(','));
const runs = Number(args.runs);
const size = Number(args['size-mib']) * 1024 * 1024;
const GiB = 1024 ** 3;

const root = await mkdtemp(join(tmpdir(), 'bench-transfer-'));
const srcDir = join(root, 'src');
const payload = join(srcDir, 'payload.bin');
await mkdir(srcDir, { recursive: true });
console.error(`writing ${size} random bytes to ${payload}`);
await writeRandomFile(payload, size);

const natsA = await startNats();
const natsB = await startNats();
const profDir = args['cpu-prof'];
const nodeArgs = (name) => [
  ...args['node-arg'],
  ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []),
];
const extraEnv = Object.fromEntries(
  args['engine-env'].map((kv) => {
    const at = kv.indexOf('=');
    if (at < 1) throw new Error(`--engine-env wants KEY=VALUE, got ${kv}`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);
const alice = await startEngine({
  id: 'alice',
  nats: natsA,
  dir: join(root, 'alice'),
  nodeArgs: nodeArgs('alice'),
  extraEnv,
});
const bob = await startEngine({
  id: 'bob',
  nats: natsB,
  dir: join(root, 'bob'),
  nodeArgs: nodeArgs('bob'),
  extraEnv,
});
console.error(`engines: alice (seeder) pid ${alice.pid}, bob (leecher) pid ${bob.pid}`);
const bobDownloads = join(root, 'bob', 'downloads');

const shared = ok(await natsA.bus.request(engine.addPath, { path: payload }, { timeoutMs: 600_000 }));
const hash = shared.torrent.hash;
const pieceLength = pieceLengthFor(size);
const ltTorrent = join(root, 'payload.lt.torrent');
const created = startLibtorrent({
  MODE: 'create',
  FILE: payload,
  PIECE_LENGTH: String(pieceLength),
  OUT: ltTorrent,
});
const ltCreated = await created.waitFor((l) => l.msg === 'created', 'libtorrent to create the torrent');
await created.exited;
if (ltCreated.hash !== hash)
  throw new Error(`info-hash differs: engine ${hash}, libtorrent ${ltCreated.hash}`);

/** Bob (engine) downloads from `seeder` (listening at `port`); returns seconds, CPU and RSS. */
async function engineLeech(port, seeder) {
  const seederCpu = seeder.cpu;
  const rss = sampleRss([seeder.pid, bob.pid]);
  const cpu0 = [seederCpu(), bob.cpu()];
  const t0 = performance.now();
  ok(await natsB.bus.request(engine.addHash, { hash }));
  natsB.bus.publish(xmpp.peers, { peers: [{ hash, endpoints: [{ address: '127.0.0.1', port }] }] });
  const done = await bob.waitFor(
    (l) => l.msg === 'download complete' && l.hash === hash && l.receivedAt > t0,
    'download',
  );
  const cpu1 = [seederCpu(), bob.cpu()];
  const [seederRss, leecherRss] = rss.stop();
  ok(await natsB.bus.request(engine.remove, { hash }, { params: { engineId: 'bob' } }));
  await rm(join(bobDownloads, 'payload.bin'), { force: true });
  return {
    seconds: (done.receivedAt - t0) / 1000,
    seederCpu: cpu1[0] - cpu0[0],
    leecherCpu: cpu1[1] - cpu0[1],
    seederRss,
    leecherRss,
  };
}

/** A libtorrent leecher downloads the magnet from `port`. */
async function libtorrentLeech(port, seeder) {
  const seederCpu = seeder.cpu;
  const dir = join(root, 'lt-download');
  const leecher = startLibtorrent(
    { MODE: 'leech', HASH: hash, PEER: `127.0.0.1:${port}`, SAVE: dir },
    'libtorrent leecher',
  );
  await leecher.waitFor((l) => l.msg === 'ready', 'libtorrent leecher to start');
  const rss = sampleRss([seeder.pid, leecher.pid]);
  const cpu0 = [seederCpu(), leecher.cpu()];
  const done = await leecher.waitFor((l) => l.msg === 'download complete', 'libtorrent download');
  const cpu1 = [seederCpu(), leecher.cpu()];
  const [seederRss, leecherRss] = rss.stop();
  await leecher.stop();
  await rm(dir, { recursive: true, force: true });
  return {
    seconds: done.seconds,
    seederCpu: cpu1[0] - cpu0[0],
    leecherCpu: cpu1[1] - cpu0[1],
    seederRss,
    leecherRss,
  };
}

const results = {};
const directions = [
  ['ee', 'engine -> engine'],
  ['el', 'engine -> libtorrent'],
  ['le', 'libtorrent -> engine'],
  ['ll', 'libtorrent -> libtorrent'],
];
for (const [key, name] of directions) if (only.has(key)) results[name] = [];
for (let run = 1; run <= runs; run++) {
  console.error(`run ${run}/${runs}`);
  if (only.has('ee')) results['engine -> engine'].push(await engineLeech(alice.port, alice));
  if (only.has('el')) results['engine -> libtorrent'].push(await libtorrentLeech(alice.port, alice));
  if (!only.has('le') && !only.has('ll')) continue;
  const seeder = startLibtorrent({ MODE: 'seed', FILE: payload, TORRENT: ltTorrent }, 'libtorrent seeder');
  const { port } = await seeder.waitFor((l) => l.msg === 'ready', 'libtorrent seeder');
  if (only.has('le')) results['libtorrent -> engine'].push(await engineLeech(port, seeder));
  if (only.has('ll')) results['libtorrent -> libtorrent'].push(await libtorrentLeech(port, seeder));
  await seeder.stop();
}

const perGiB = GiB / size;
const summary = Object.entries(results).map(([name, rs]) => ({
  name,
  mbps: size / median(rs.map((r) => r.seconds)) / 1e6,
  seederCpu: median(rs.map((r) => r.seederCpu)) * perGiB,
  leecherCpu: median(rs.map((r) => r.leecherCpu)) * perGiB,
  seederRss: Math.max(...rs.map((r) => r.seederRss)) / 1e6,
  leecherRss: Math.max(...rs.map((r) => r.leecherRss)) / 1e6,
}));
const base = summary.find((s) => s.name === 'libtorrent -> libtorrent');
const ratio = (a, b) => (b ? (a / b).toFixed(2) : '–');
console.log(
  `\nTransfer of ${size / 1024 ** 2} MiB over loopback TCP, median of ${runs} run(s); engines are bitween's torrent-engine processes (webtorrent, over NATS); CPU-s per GiB from /proc (all threads); peak RSS sampled every 50 ms during the transfer`,
);
console.log(
  '| direction | MB/s | × lt↔lt speed | seeder CPU-s/GiB | leecher CPU-s/GiB | × lt↔lt CPU (seeder / leecher) | peak RSS MB (seeder / leecher) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const s of summary) {
  console.log(
    `| ${s.name} | ${s.mbps.toFixed(0)} | ${base ? (s.mbps / base.mbps).toFixed(2) : '–'} | ${s.seederCpu.toFixed(2)} | ${s.leecherCpu.toFixed(2)} | ${ratio(s.seederCpu, base?.seederCpu)} / ${ratio(s.leecherCpu, base?.leecherCpu)} | ${s.seederRss.toFixed(0)} / ${s.leecherRss.toFixed(0)} |`,
  );
}

if (runs > 1) {
  // The medians hide how much runs differ (on a shared VM, ±15%): show every run.
  console.log('\nEach run, MB/s, seeder / leecher CPU-s per GiB, seeder / leecher peak RSS MB:');
  for (const [name, rs] of Object.entries(results)) {
    const each = rs.map(
      (r) =>
        `${(size / r.seconds / 1e6).toFixed(0)} ${(r.seederCpu * perGiB).toFixed(2)}/${(r.leecherCpu * perGiB).toFixed(2)} ${(r.seederRss / 1e6).toFixed(0)}/${(r.leecherRss / 1e6).toFixed(0)}`,
    );
    console.log(`- ${name}: ${each.join(', ')}`);
  }
}

await Promise.all([alice.stop(), bob.stop()]);
if (args.logs) {
  await mkdir(args.logs, { recursive: true });
  for (const e of [alice, bob]) {
    const text = e.lines.map((l) => JSON.stringify({ ...l, receivedAt: undefined })).join('\n');
    await writeFile(join(args.logs, `${e.id}.log`), `${text}\n`);
  }
}
await Promise.all([natsA.stop(), natsB.stop()]);
if (!args.keep) await rm(root, { recursive: true, force: true });
