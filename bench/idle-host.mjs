// The host install at rest: `scripts/start.mjs` (what `npm start` runs after building) with a
// fresh data dir and no XMPP account, nats-server and the three services; after they settle, RSS
// and CPU of each process over a window, beside transmission-daemon 3 (apt) at rest with no
// torrents in the same run. Prints a Markdown table; nothing is written into the repository.
//   npm run bench:idle [-- --settle-s 20 --window-s 60]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuSeconds, repoRoot, rssBytes } from './lib/procs.mjs';

const { values } = parseArgs({
  options: { 'settle-s': { type: 'string', default: '20' }, 'window-s': { type: 'string', default: '60' } },
});
const settleMs = Number(values['settle-s']) * 1000;
const windowMs = Number(values['window-s']) * 1000;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function children(pid) {
  const out = [];
  try {
    const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8'))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    for (const kid of kids.map(Number)) {
      const cmd = (await readFile(`/proc/${kid}/cmdline`, 'utf8')).split('\0');
      const name = cmd[0].endsWith('nats-server')
        ? 'nats-server'
        : (/apps\/([^/]+)\/dist\/main\.js/.exec(cmd.join(' '))?.[1] ?? cmd[0]);
      out.push({ name, pid: kid });
    }
  } catch {
    // gone
  }
  return out;
}

async function until(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** RSS at the end and CPU % of each process over the window. */
async function measure(procs) {
  await new Promise((r) => setTimeout(r, settleMs));
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const seconds = (Date.now() - t0) / 1000;
  return procs.map((p, i) => ({
    name: p.name,
    rssMiB: rssBytes(p.pid) / 2 ** 20,
    cpuPercent: ((cpuSeconds(p.pid) - cpu0[i]) / seconds) * 100,
  }));
}

const dir = await mkdtemp(join(tmpdir(), 'bitween-idle-'));
const stopAll = [];
try {
  const [natsPort, apiPort, torrentPort, trPort, trPeer] = await Promise.all([1, 2, 3, 4, 5].map(freePort));
  const stack = spawn(process.execPath, [join(repoRoot, 'scripts/start.mjs')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      BITWEEN_DATA_DIR: join(dir, 'data'),
      BITWEEN_NATS_PORT: String(natsPort),
      BITWEEN_API_PORT: String(apiPort),
      BITWEEN_TORRENT_PORT: String(torrentPort),
      BITWEEN_PORT_MAPPING: 'off',
      BITWEEN_LOG_FORMAT: 'json',
      BITWEEN_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  stopAll.push(
    () =>
      new Promise((r) => (stack.exitCode !== null ? r() : (stack.once('exit', r), stack.kill('SIGTERM')))),
  );
  await until(async () => {
    const key = await readFile(join(dir, 'data', 'api-key'), 'utf8').catch(() => null);
    if (!key) return false;
    const headers = { 'X-API-Key': key.trim() };
    const r = await fetch(`http://127.0.0.1:${apiPort}/health/ready`, { headers }).catch(() => null);
    return r?.ok;
  }, 'the api to be ready');
  const procs = await until(async () => {
    const kids = await children(stack.pid);
    return kids.length >= 4 ? kids : null;
  }, 'four processes');

  const tr = spawn(
    'transmission-daemon',
    [
      '-f',
      '-g',
      join(dir, 'transmission'),
      '-p',
      String(trPort),
      '-P',
      String(trPeer),
      '-w',
      join(dir, 'tr-downloads'),
      '--no-portmap',
      '--no-dht',
      '--no-lpd',
      '-T',
    ],
    { stdio: 'ignore' },
  );
  stopAll.push(
    () => new Promise((r) => (tr.exitCode !== null ? r() : (tr.once('exit', r), tr.kill('SIGTERM')))),
  );
  const trMissing = new Promise((r) => tr.on('error', () => r(true)));
  if (await Promise.race([trMissing, new Promise((r) => setTimeout(() => r(false), 500))]))
    console.error(
      'transmission-daemon is not installed (apt-get install transmission-daemon): no reference row',
    );

  const rows = await measure([
    ...procs,
    ...(tr.pid && tr.exitCode === null ? [{ name: 'transmission-daemon 3 (reference)', pid: tr.pid }] : []),
  ]);
  const ours = rows.filter((r) => !r.name.startsWith('transmission'));
  console.log(
    `\nbitween host install at rest (no account, no torrents), ${settleMs / 1000} s settle, ${windowMs / 1000} s window\n`,
  );
  console.log('| process | RSS MiB | CPU % |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.name} | ${r.rssMiB.toFixed(1)} | ${r.cpuPercent.toFixed(2)} |`);
  const total = ours.reduce((a, r) => ({ rss: a.rss + r.rssMiB, cpu: a.cpu + r.cpuPercent }), {
    rss: 0,
    cpu: 0,
  });
  console.log(`| **bitween total** | ${total.rss.toFixed(1)} | ${total.cpu.toFixed(2)} |`);
} finally {
  for (const stop of stopAll.reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
}
