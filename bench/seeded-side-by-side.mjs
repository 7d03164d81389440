// Many seeded torrents, side by side with transmission-daemon 3 (issue 23): for each count N, N
// small files in a temp dir are shared by one bitween engine (with the api in front of it) and then
// added to one transmission-daemon (the engine's own .torrent files, so the same torrents on the
// same files). One run each, in this order, per side:
//   add all until every torrent is seeding → list all → restart until all listed as seeding →
//   idle CPU % and RSS over a window (after the restart, once it settled).
// Prints a Markdown table per N; nothing is written into the repository.
//
//   npm run bench:seeds [-- --counts 1000,10000 --file-kib 16 --settle-s 20 --window-s 30]
//   --engine-node-arg=--cpu-prof --engine-node-arg=--cpu-prof-dir=/tmp/prof   (the restarted engine)
//   --add-node-arg=--cpu-prof --add-node-arg=--cpu-prof-dir=/tmp/prof   (the engine that adds them)
//   --heap-snapshot-dir DIR: a heap snapshot of the restarted engine after the idle window (the
//   smallest count only)
//   --only engine|transmission
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { engine } from '@bitween/messages';
import { cpuSeconds, median, ok, repoRoot, rssBytes, startEngine, startNats } from './lib/procs.mjs';

const { values: args } = parseArgs({
  options: {
    counts: { type: 'string', default: '1000,10000' },
    'file-kib': { type: 'string', default: '16' },
    'settle-s': { type: 'string', default: '20' },
    'window-s': { type: 'string', default: '30' },
    'engine-node-arg': { type: 'string', multiple: true, default: [] },
    'add-node-arg': { type: 'string', multiple: true, default: [] },
    only: { type: 'string' },
    'heap-snapshot-dir': { type: 'string' },
  },
});
const counts = args.counts.split(',').map(Number);
const fileBytes = Number(args['file-kib']) * 1024;
const settleMs = Number(args['settle-s']) * 1000;
const windowMs = Number(args['window-s']) * 1000;
const TOKEN = 'bench-token-0123456789';
/** Requests in flight while adding (both sides). */
const ADD_CONCURRENCY = 16;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (from) => (performance.now() - from) / 1000;
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Runs `fn` over `items`, `limit` at a time. */
async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function until(check, what, timeoutMs = 3_600_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** CPU % and RSS (MiB) of each pid over a window, after `settleMs`. */
async function idle(pids) {
  await sleep(settleMs);
  const cpu0 = pids.map(cpuSeconds);
  const t0 = performance.now();
  await sleep(windowMs);
  const s = seconds(t0);
  return pids.map((pid, i) => ({
    cpu: ((cpuSeconds(pid) - cpu0[i]) / s) * 100,
    rss: rssBytes(pid) / 2 ** 20,
  }));
}

/** Median of `runs` timings (ms) of `fn`. */
async function timed(fn, runs = 5) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

/** N files of `fileBytes` random bytes, 1,000 to a folder. */
async function writeFiles(root, n) {
  const files = [];
  for (let i = 0; i < n; i++) {
    const dir = join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) await mkdir(dir, { recursive: true });
    const file = join(dir, `share-${i}.bin`);
    await writeFile(file, randomBytes(fileBytes));
    files.push(file);
  }
  return files;
}

// ---------------------------------------------------------------- bitween

async function engineList(nats) {
  const all = [];
  let cursor = null;
  do {
    const page = ok(await nats.bus.request(engine.list, { cursor }, { params: { engineId: 'seeds' } }));
    all.push(...page.torrents);
    cursor = page.next;
  } while (cursor);
  return all;
}

const allSeeding = async (nats, n) => {
  const list = await engineList(nats);
  return list.length === n && list.every((t) => t.state === 'seeding');
};

function startApi(natsUrl, port) {
  const child = spawn(process.execPath, [join(repoRoot, 'apps/api/dist/main.js')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BITWEEN_NATS_URL: natsUrl,
      BITWEEN_LOG_LEVEL: 'info',
      BITWEEN_API_HOST: '127.0.0.1',
      BITWEEN_API_PORT: String(port),
      BITWEEN_API_TOKEN: TOKEN,
      BITWEEN_DEFAULT_TIMEOUT_MS: '60000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => l.includes('"msg":"ready"') && resolve());
    child.once('exit', (code) => reject(new Error(`api exited with ${code}`)));
  });
  return {
    pid: child.pid,
    ready,
    stop: () =>
      new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
  };
}

async function apiGet(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}

async function benchEngine(root, files) {
  const n = files.length;
  const nats = await startNats();
  const dir = join(root, 'engine');
  const r = {};
  let e = await startEngine({ id: 'seeds', nats, dir, nodeArgs: args['add-node-arg'] });
  const apiPort = await freePort();
  const api = startApi(nats.url, apiPort);
  try {
    await api.ready;
    let t = performance.now();
    await pool(files, ADD_CONCURRENCY, async (path) => {
      ok(await nats.bus.request(engine.addPath, { path }, { timeoutMs: 600_000 }));
    });
    await until(() => allSeeding(nats, n), `${n} torrents seeding`);
    r.add = seconds(t);
    r.addCpu = e.cpu();
    console.error(`engine: added all in ${r.add.toFixed(1)} s`);

    r.engineList = await timed(() => engineList(nats));
    // The api finds the engine through the registry; an engine whose registry entry does not fit
    // NATS's max_payload (docs/architecture.md) is not listed: say so instead of waiting forever.
    r.apiListed = 0;
    await until(
      async () => (r.apiListed = (await apiGet(apiPort, '/v1/torrents')).torrents.length) === n,
      'the api to list all',
      120_000,
    ).catch(() => console.error(`the api lists ${r.apiListed} of ${n} torrents`));
    r.apiCached = await timed(() => apiGet(apiPort, '/v1/torrents'));
    r.apiUncached = await timed(() => apiGet(apiPort, '/v1/torrents?offset=0'));

    await e.stop();
    const snapshotDir = n === Math.min(...counts) ? args['heap-snapshot-dir'] : undefined;
    const nodeArgs = [
      ...args['engine-node-arg'],
      ...(snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
    ];
    e = await startEngine({ id: 'seeds', nats, dir, nodeArgs });
    await e.waitFor((l) => l.msg === 'restored torrents ready', 'restored torrents', 3_600_000);
    await until(() => allSeeding(nats, n), `${n} torrents seeding after the restart`);
    r.restart = seconds(e.spawnedAt);
    console.error(`engine: all seeding ${r.restart.toFixed(2)} s after the restart`);

    const [eng, apiIdle, natsIdle] = await idle([e.pid, api.pid, nats.pid]);
    Object.assign(r, { eng, api: apiIdle, nats: natsIdle });
    console.error(`engine pid ${e.pid} (restarted), api pid ${api.pid}`);
    if (snapshotDir) {
      process.kill(e.pid, 'SIGUSR2');
      // Written synchronously by the engine's main thread: done once it answers again.
      await until(
        async () => (await readdir(snapshotDir)).some((f) => f.endsWith('.heapsnapshot')),
        'a heap snapshot',
      );
      await engineList(nats);
      const [name] = (await readdir(snapshotDir)).filter((f) => f.endsWith('.heapsnapshot'));
      console.error(
        `heap snapshot ${join(snapshotDir, name)}, ${((await stat(join(snapshotDir, name))).size / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    return r;
  } catch (err) {
    // What the engine said last (it may have stopped answering, or exited).
    const said = e.lines.filter((l) => l.level >= 40).slice(-10);
    for (const l of said)
      console.error(`engine ${l.level >= 50 ? 'error' : 'warning'}: ${JSON.stringify(l)}`);
    if (e.child.exitCode !== null) console.error(`engine exited (${e.child.exitCode}): ${e.stderr()}`);
    throw err;
  } finally {
    await e.stop();
    await api.stop();
    await nats.stop();
  }
}

// ---------------------------------------------------------------- transmission-daemon

function transmissionRpc(port) {
  let session = '';
  return async function call(method, a = {}) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await fetch(`http://127.0.0.1:${port}/transmission/rpc`, {
        method: 'POST',
        headers: { 'X-Transmission-Session-Id': session, 'content-type': 'application/json' },
        body: JSON.stringify({ method, arguments: a }),
      });
      if (res.status === 409) {
        session = res.headers.get('X-Transmission-Session-Id') ?? '';
        continue;
      }
      const body = await res.json();
      if (body.result !== 'success') throw new Error(`transmission ${method}: ${body.result}`);
      return body.arguments;
    }
    throw new Error(`transmission ${method}: no session`);
  };
}

async function startTransmission(confDir, rpcPort, peerPort, downloads) {
  const spawnedAt = performance.now();
  const child = spawn(
    'transmission-daemon',
    [
      '-f',
      '-g',
      confDir,
      '-p',
      String(rpcPort),
      '-r',
      '127.0.0.1',
      '-a',
      '127.0.0.1',
      '-T',
      '-P',
      String(peerPort),
      '-w',
      downloads,
      '--no-portmap',
      '--no-dht',
      '--no-lpd',
      '--log-error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const failed = new Promise((_, reject) => {
    child.once('error', (err) =>
      reject(new Error(`transmission-daemon: ${err.message} (apt-get install transmission-daemon)`)),
    );
    child.once('exit', (code) => reject(new Error(`transmission-daemon exited with ${code}`)));
  });
  failed.catch(() => undefined);
  const rpc = transmissionRpc(rpcPort);
  await Promise.race([
    failed,
    until(
      () =>
        rpc('session-get').then(
          () => true,
          () => false,
        ),
      'transmission RPC',
      60_000,
      50,
    ),
  ]);
  return {
    pid: child.pid,
    rpc,
    spawnedAt,
    stop: () =>
      new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
  };
}

/** What a client's list view asks for (transmission-remote -l and the web UI ask for about these). */
const LIST_FIELDS = [
  'id',
  'name',
  'status',
  'error',
  'errorString',
  'percentDone',
  'totalSize',
  'sizeWhenDone',
  'leftUntilDone',
  'rateDownload',
  'rateUpload',
  'uploadedEver',
  'downloadedEver',
  'uploadRatio',
  'eta',
  'peersConnected',
  'addedDate',
  'hashString',
];

const trSeeding = async (rpc, n) => {
  const { torrents } = await rpc('torrent-get', { fields: ['id', 'status'] });
  return torrents.length === n && torrents.every((t) => t.status === 6);
};

async function benchTransmission(root, files, torrentFiles) {
  const n = files.length;
  const conf = join(root, 'transmission');
  const [rpcPort, peerPort] = await Promise.all([freePort(), freePort()]);
  const r = {};
  let tr = await startTransmission(conf, rpcPort, peerPort, join(root, 'tr-downloads'));
  try {
    let t = performance.now();
    await pool(torrentFiles, ADD_CONCURRENCY, async ({ metainfo, dir }) => {
      await tr.rpc('torrent-add', {
        metainfo: Buffer.from(metainfo).toString('base64'),
        'download-dir': dir,
      });
    });
    await until(() => trSeeding(tr.rpc, n), `${n} torrents seeding in transmission`, 3_600_000, 500);
    r.add = seconds(t);
    r.addCpu = cpuSeconds(tr.pid);
    console.error(`transmission: added all in ${r.add.toFixed(1)} s`);
    r.list = await timed(() => tr.rpc('torrent-get', { fields: LIST_FIELDS }));

    await tr.stop();
    tr = await startTransmission(conf, rpcPort, peerPort, join(root, 'tr-downloads'));
    await until(() => trSeeding(tr.rpc, n), `${n} torrents seeding after the restart`, 3_600_000, 100);
    r.restart = seconds(tr.spawnedAt);
    [r.idle] = await idle([tr.pid]);
    return r;
  } finally {
    await tr.stop();
  }
}

// ---------------------------------------------------------------- run

const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
for (const n of counts) {
  const root = await mkdtemp(join(tmpdir(), 'bench-seeds-'));
  try {
    console.error(`${n} files of ${fileBytes / 1024} KiB…`);
    const files = await writeFiles(join(root, 'shares'), n);
    let ours = null;
    let theirs = null;
    if (args.only !== 'transmission') {
      console.error(`bitween engine: adding ${n}…`);
      ours = await benchEngine(root, files);
    }
    if (args.only !== 'engine') {
      // The same torrents: the engine's .torrent files, or (--only transmission) created here.
      const torrentFiles = [];
      const stateDir = join(root, 'engine', 'state', 'seeds');
      const names = ours ? (await readdir(stateDir)).filter((f) => f.endsWith('.torrent')) : [];
      if (!ours) {
        const { default: createTorrent } = await import('create-torrent');
        await pool(files, 4, async (file) => {
          const metainfo = await new Promise((resolve, reject) =>
            createTorrent(file, { private: false, announceList: [] }, (err, buf) =>
              err ? reject(err) : resolve(buf),
            ),
          );
          torrentFiles.push({ metainfo, dir: join(file, '..') });
        });
      }
      for (const name of names) {
        const record = JSON.parse(
          await readFile(join(stateDir, name.replace(/\.torrent$/, '.json')), 'utf8'),
        );
        torrentFiles.push({ metainfo: await readFile(join(stateDir, name)), dir: record.savePath });
      }
      console.error(`transmission-daemon: adding ${torrentFiles.length}…`);
      theirs = await benchTransmission(root, files, torrentFiles);
    }
    const o = ours ?? {};
    const t = theirs ?? {};
    const na = '–';
    console.log(
      `\n${n} seeded torrents of ${fileBytes / 1024} KiB; idle over ${windowMs / 1000} s after ${settleMs / 1000} s settle (after the restart)\n`,
    );
    console.log('| | bitween engine | transmission-daemon |');
    console.log('| --- | --- | --- |');
    console.log(
      `| idle CPU % / RSS MiB | ${ours ? `${f2(o.eng.cpu)} % / ${f1(o.eng.rss)} (+ api ${f2(o.api.cpu)} % / ${f1(o.api.rss)}, nats-server ${f2(o.nats.cpu)} % / ${f1(o.nats.rss)})` : na} | ${theirs ? `${f2(t.idle.cpu)} % / ${f1(t.idle.rss)}` : na} |`,
    );
    console.log(
      `| add all until seeding (s; CPU-s) | ${ours ? `${f1(o.add)}; ${f1(o.addCpu)}` : na} | ${theirs ? `${f1(t.add)}; ${f1(t.addCpu)}` : na} |`,
    );
    console.log(
      `| restart until all seeding (s) | ${ours ? f2(o.restart) : na} | ${theirs ? f2(t.restart) : na} |`,
    );
    console.log(
      `| list all (ms, median of 5) | ${ours ? `engine.list ${o.engineList.toFixed(0)}, api ${o.apiCached.toFixed(0)} cached / ${o.apiUncached.toFixed(0)} uncached${o.apiListed === n ? '' : ` (the api listed ${o.apiListed})`}` : na} | ${theirs ? `torrent-get ${t.list.toFixed(0)}` : na} |`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
// The registry's watches may keep the event loop alive after the NATS connection closed.
process.exit(0);
