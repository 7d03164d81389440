// engine.list of many seeds (issue 23): one engine (no api) shares N files of 16 KiB from FILES_DIR
// (written there once, reused by later runs), then lists every torrent (all pages) 5 times: median
// ms and the engine's CPU-ms per list; with PROFILE_OUT, 5 more lists are profiled through the
// engine's inspector (Profiler.start/stop: the profile holds the lists only, not the adding).
//   npx nx run-many -t build --exclude=@bitween/test && node bench/engine-list.mjs N FILES_DIR [PROFILE_OUT]
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine } from '@bitween/messages';
import { cpuSeconds, median, ok, startEngine, startNats } from './lib/procs.mjs';

const [n, filesDir, profOut] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const files = [];
for (let i = 0; i < n; i++) {
  const dir = join(filesDir, `d${Math.floor(i / 1000)}`);
  const file = join(dir, `share-${i}.bin`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, randomBytes(16384));
  }
  files.push(file);
}
const nats = await startNats();
const dir = await mkdtemp(join(tmpdir(), 'c23-engine-'));
const e = await startEngine({ id: 'seeds', nats, dir, nodeArgs: ['--inspect=127.0.0.1:0'] });
async function engineList() {
  const all = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = ok(
      await nats.bus.request(engine.list, { cursor }, { params: { engineId: 'seeds' }, timeoutMs: 60_000 }),
    );
    all.push(...page.torrents);
    cursor = page.next;
    pages++;
  } while (cursor);
  return { all, pages };
}
try {
  let t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < files.length)
        ok(await nats.bus.request(engine.addPath, { path: files[next++] }, { timeoutMs: 600_000 }));
    }),
  );
  for (;;) {
    const { all } = await engineList();
    if (all.length === n && all.every((x) => x.state === 'seeding')) break;
    await sleep(1000);
  }
  console.log(`added ${n} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await sleep(5000);
  const ms = [];
  const cpu0 = cpuSeconds(e.pid);
  let pages = 0;
  for (let i = 0; i < 5; i++) {
    t = performance.now();
    const r = await engineList();
    ms.push(performance.now() - t);
    pages = r.pages;
    if (r.all.length !== n) throw new Error(`listed ${r.all.length}`);
  }
  const cpu = cpuSeconds(e.pid) - cpu0;
  console.log(
    `engine.list of ${n} (${pages} pages): median ${median(ms).toFixed(0)} ms [${ms.map((x) => x.toFixed(0)).join(', ')}], engine ${((cpu / 5) * 1000).toFixed(0)} CPU-ms per list`,
  );
  // Profile 5 more lists through the inspector.
  const m = /ws:\/\/[^\s]+/.exec(e.stderr());
  if (m && profOut) {
    const ws = new WebSocket(m[0]);
    await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
    let id = 0;
    const waiting = new Map();
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id && waiting.has(msg.id)) waiting.get(msg.id)(msg.result);
    };
    const call = (method, params = {}) =>
      new Promise((r) => {
        waiting.set(++id, r);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 200 });
    await call('Profiler.start');
    t = performance.now();
    for (let i = 0; i < 5; i++) await engineList();
    const profiledMs = performance.now() - t;
    const { profile } = await call('Profiler.stop');
    await writeFile(profOut, JSON.stringify(profile));
    ws.close();
    console.log(`profiled 5 lists (${profiledMs.toFixed(0)} ms) into ${profOut}`);
  }
} finally {
  await e.stop();
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
}
// The bench's own NATS connection would keep the process alive.
process.exit(0);
