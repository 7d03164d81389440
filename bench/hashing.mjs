// Torrent creation benchmark: bitween's worker-thread hasher (pieces only, 1 and 2 threads; and
// what sharing a file does: pieces and the file's SHA-256 from the same reads, one thread) vs
// create-torrent vs libtorrent (python3-libtorrent, v1 torrent) on the same file, in one run, plus
// raw SHA-1 speed of this machine; CPU-s of the in-process contenders (all threads). Checks that all
// of them produce the same info-hash, and bitween the file's SHA-256.
//
//   node bench/hashing.mjs [--runs N] [--size-mib 1024] [--file PATH]
import { createHash, hash as sha1, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import createTorrent from 'create-torrent';
import parseTorrent from 'parse-torrent';
import { median, startLibtorrent, writeRandomFile } from './lib/procs.mjs';
import { resolveShareRoots } from '../apps/torrent-engine/dist/confined-open.js';
import { createTorrentFile } from '../apps/torrent-engine/dist/hashing/create-torrent-file.js';
import { encodeMetainfo } from '../apps/torrent-engine/dist/hashing/metainfo.js';
import { hashPieces } from '../apps/torrent-engine/dist/hashing/piece-hasher.js';
import { pieceLengthFor } from '../apps/torrent-engine/dist/piece-length.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '1024' },
    file: { type: 'string' },
  },
});
const runs = Number(args.runs);
const root = await mkdtemp(join(tmpdir(), 'bench-hashing-'));
let file = args.file;
if (!file) {
  file = join(root, 'payload.bin');
  const size = Number(args['size-mib']) * 1024 * 1024;
  console.error(`writing ${size} random bytes to ${file}`);
  await writeRandomFile(file, size);
}
// Every contender reads the file from the page cache.
const digest = createHash('sha256');
for await (const chunk of createReadStream(file, { highWaterMark: 8 * 1024 * 1024 })) digest.update(chunk);
const fileSha256 = digest.digest('base64');
const fh = await open(file);
const { size } = await fh.stat();
await fh.close();
const pieceLength = pieceLengthFor(size);
// As the engine does: the file's real path, hashed below its folder as the (resolved) share root.
const realFile = await realpath(file);
const roots = await resolveShareRoots([dirname(realFile)]);

/** bitween's hasher without the file's SHA-256 (how a file was shared before it had one). */
const piecesOnly = async (threads) => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const pieces = await hashPieces([{ path: realFile, length: size }], pieceLength, { threads, roots });
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const { infoHash } = encodeMetainfo({
    name: basename(realFile),
    pieceLength,
    pieces,
    layout: { length: size },
  });
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, infoHash };
};

/** What sharing a file does: its pieces and its SHA-256 from the same reads. */
const withSha256 = async (threads) => {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await createTorrentFile(realFile, { pieceLength: () => pieceLength, threads, roots });
  const cpu = process.cpuUsage(cpu0);
  if (r.sha256 !== fileSha256) throw new Error(`SHA-256 ${r.sha256}, expected ${fileSha256}`);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, infoHash: r.infoHash };
};

const contenders = {
  'bitween, pieces only (1 worker thread)': () => piecesOnly(1),
  'bitween, pieces only (2 worker threads; sharing a file before its SHA-256)': () => piecesOnly(2),
  'bitween, pieces + file SHA-256 (one thread; a single core)': () => withSha256(1),
  'bitween, pieces + file SHA-256 (reader + SHA-256 thread; sharing a file now)': () => withSha256(2),
  'create-torrent 6': async () => {
    const t0 = performance.now();
    const torrent = await promisify(createTorrent)(file, { pieceLength, announceList: [], urlList: [] });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, infoHash: (await parseTorrent(torrent)).infoHash };
  },
  'libtorrent 2.0 (v1)': async () => {
    const lt = startLibtorrent({
      MODE: 'create',
      FILE: file,
      PIECE_LENGTH: String(pieceLength),
      OUT: join(root, 'lt.torrent'),
    });
    const line = await lt.waitFor((l) => l.msg === 'created', 'libtorrent create_torrent');
    await lt.exited;
    return { seconds: line.seconds, infoHash: line.hash };
  },
};

const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let run = 1; run <= runs; run++) {
  console.error(`run ${run}/${runs}`);
  for (const [name, fn] of Object.entries(contenders)) results[name].push(await fn());
}

// Raw SHA-1 on this machine, one thread, pieces already in memory.
const block = randomBytes(pieceLength);
const t0 = performance.now();
let hashed = 0;
while (performance.now() - t0 < 1000) {
  sha1('sha1', block, 'buffer');
  hashed += block.length;
}
const rawSha1 = hashed / ((performance.now() - t0) / 1000) / 1e9;

const hashes = new Set(Object.values(results).flatMap((rs) => rs.map((r) => r.infoHash)));
console.log(
  `\nCreating a torrent of ${(size / 1024 ** 3).toFixed(2)} GiB (piece length ${pieceLength / 1024} KiB), from the page cache, median of ${runs} run(s)`,
);
console.log('| creator | seconds | GB/s | CPU-s |');
console.log('| --- | --- | --- | --- |');
for (const [name, rs] of Object.entries(results)) {
  const s = median(rs.map((r) => r.seconds));
  const cpu = rs[0].cpuSeconds === undefined ? '' : median(rs.map((r) => r.cpuSeconds)).toFixed(2);
  console.log(`| ${name} | ${s.toFixed(2)} | ${(size / s / 1e9).toFixed(2)} | ${cpu} |`);
}
console.log(`| (raw SHA-1, one thread, in memory) | | ${rawSha1.toFixed(2)} | |`);
console.log(
  hashes.size === 1
    ? `\nsame info-hash from all: ${[...hashes][0]}`
    : `\nINFO-HASHES DIFFER: ${[...hashes].join(', ')}`,
);
await rm(root, { recursive: true, force: true });
if (hashes.size !== 1) process.exitCode = 1;
