import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import type { TorrentsResult } from '../test/src/harness/api-results.js';
import { Cleanup } from '../test/src/harness/cleanup.js';
import { waitFor } from '../test/src/harness/wait.js';
import type { HomeStack } from '../test/src/lab/home-stack.js';
import { labUnavailable } from '../test/src/lab/netns.js';
import {
  download,
  engineStates,
  MiB,
  share,
  startWorld,
  sumConnections,
  waitForShare,
  type WorldOptions,
} from '../test/src/lab/world.js';

/**
 * Issue 19's lab scenarios with every home's WAN link capped at 100 Mbit/s each way (tbf): per
 * scenario, seconds from starting the two bitweens until each side's list is visible at the
 * other, time to the first byte of the download, throughput (goal ≥ 90 % of the cap) and the
 * engines' CPU-seconds per GiB (/proc/<pid>/stat, all threads), with the transports the engines
 * counted. Prints a Markdown table and writes JSON into a temp dir.
 *
 *   npm run bench:lab            (BENCH_LAB_MIB=256, BENCH_LAB_ONLY=a,b,… , BENCH_LAB_MBIT=100)
 *
 * Needs root and the lab's apt packages (see test/src/lab), like the lab tier.
 */

const MIB = Number(process.env['BENCH_LAB_MIB'] ?? 256);
const MBIT = Number(process.env['BENCH_LAB_MBIT'] ?? 100);
const ONLY = process.env['BENCH_LAB_ONLY']?.split(',');
const GiB = 1024 ** 3;
const CLK_TCK = 100; // Linux USER_HZ
const STUN = { BITWEEN_STUN_SERVER: '203.0.113.1:3478' };

const SCENARIOS: { key: string; what: string; world: Omit<WorldOptions, 'wanMbit'> }[] = [
  {
    key: 'a',
    what: 'both routers UPnP (miniupnpd) → TCP mapped',
    world: {
      homes: [
        { name: 'alice', upnp: true },
        { name: 'bob', upnp: true },
      ],
    },
  },
  {
    key: 'b',
    what: 'plain NATs, STUN → WebRTC hole punching',
    world: { homes: [{ name: 'alice' }, { name: 'bob' }], ice: 'stun' },
  },
  {
    key: 'c',
    what: 'symmetric NATs, TURN → relay',
    world: {
      homes: [
        { name: 'alice', nat: 'symmetric' },
        { name: 'bob', nat: 'symmetric' },
      ],
      ice: 'turn',
    },
  },
  {
    key: 'd',
    what: 'IPv6 behind stateful firewalls → WebRTC over IPv6',
    world: {
      homes: [
        { name: 'alice', nat: 'symmetric' },
        { name: 'bob', nat: 'symmetric' },
      ],
      ipv6: true,
      ice: 'stun',
    },
  },
  {
    key: 'e',
    what: 'sharer on a public address → TCP direct',
    world: { homes: [{ name: 'alice', nat: 'none' }, { name: 'bob' }], gatewayEnv: { bob: STUN } },
  },
  {
    key: 'e2',
    what: 'sharer’s port forwarded by hand → TCP, admitted by ticket',
    world: {
      homes: [{ name: 'alice', forwardPorts: [6881] }, { name: 'bob' }],
      gatewayEnv: { alice: STUN },
      engineEnv: { alice: { BITWEEN_TORRENT_PORT: '6881' } },
    },
  },
  {
    key: 'e2m',
    what: 'only the downloader’s port forwarded → connection reversal',
    world: {
      homes: [{ name: 'alice' }, { name: 'bob', forwardPorts: [6881] }],
      gatewayEnv: { bob: STUN },
      engineEnv: { bob: { BITWEEN_TORRENT_PORT: '6881' } },
    },
  },
];

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface Row {
  scenario: string;
  what: string;
  ok: boolean;
  error?: string;
  aliceListS?: number;
  bobListS?: number;
  ttfbS?: number;
  seconds?: number;
  mbps?: number;
  ofCap?: number;
  seederCpuPerGiB?: number;
  leecherCpuPerGiB?: number;
  transports?: string;
}

async function bytesDone(n: HomeStack, hash: string): Promise<number> {
  const { torrents } = await n.rpc.result<TorrentsResult>('bt.get_torrents');
  return torrents.find((t) => t.hash === hash)?.done ?? 0;
}

async function runScenario(s: (typeof SCENARIOS)[number]): Promise<Row> {
  const cleanup = new Cleanup();
  const row: Row = { scenario: s.key, what: s.what, ok: false };
  try {
    const t0 = performance.now();
    const w = await startWorld(cleanup, { ...s.world, wanMbit: MBIT });
    // Each side shares something as soon as it is up; its list is then visible at the other.
    const [big, small] = await Promise.all([
      share(w.alice, 'payload.bin', MIB * MiB),
      share(w.bob, 'bobs.bin', 1 * MiB),
    ]);
    const [aliceAt, bobAt] = await Promise.all([
      waitForShare(w.bob, w.alice, big.hash, 120_000).then(() => performance.now()),
      waitForShare(w.alice, w.bob, small.hash, 120_000).then(() => performance.now()),
    ]);
    row.aliceListS = (aliceAt - t0) / 1000;
    row.bobListS = (bobAt - t0) / 1000;

    const states = { alice: await engineStates(cleanup, w.alice), bob: await engineStates(cleanup, w.bob) };
    const cpu0 = [cpuSeconds(w.alice.engine.pid), cpuSeconds(w.bob.engine.pid)];
    const t1 = performance.now();
    let firstByte = 0;
    // Four times the time at the cap, at least 2 min: a stalled path fails its row, not the run.
    const capSeconds = (MIB * MiB * 8) / (MBIT * 1e6);
    const done = download(w.bob, big, Math.max(120_000, 4_000 * capSeconds));
    done.catch(() => undefined); // awaited below; a first-byte timeout must not leave it unhandled
    // Time to first byte, polled through the api every 50 ms.
    await waitFor(async () => (await bytesDone(w.bob, big.hash)) > 0, {
      what: 'the first byte',
      timeoutMs: 120_000,
      intervalMs: 50,
    }).then(() => (firstByte = performance.now()));
    await done;
    const t2 = performance.now();
    const cpu1 = [cpuSeconds(w.alice.engine.pid), cpuSeconds(w.bob.engine.pid)];
    row.ttfbS = (firstByte - t1) / 1000;
    row.seconds = (t2 - t1) / 1000;
    // Throughput from the first byte on (the rendezvous and ICE time is in the TTFB).
    row.mbps = (MIB * MiB) / ((t2 - firstByte) / 1000) / 1e6;
    row.ofCap = (row.mbps * 8) / MBIT;
    const perGiB = GiB / (MIB * MiB);
    row.seederCpuPerGiB = (cpu1[0]! - cpu0[0]!) * perGiB;
    row.leecherCpuPerGiB = (cpu1[1]! - cpu0[1]!) * perGiB;
    const c = sumConnections(await states.bob());
    row.transports = Object.entries(c)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    row.ok = true;
  } catch (err) {
    row.error = (err as Error).message.split('\n')[0]!.slice(0, 200);
  } finally {
    await cleanup.run();
  }
  return row;
}

const unavailable = labUnavailable();

it.skipIf(unavailable !== null)(
  'friends behind routers: lab scenarios at a WAN cap',
  async () => {
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 24)
      throw new Error(`benchmarks need Node 24+ (this is ${process.version}): run npm run bench:lab`);
    const rows: Row[] = [];
    for (const s of SCENARIOS.filter((x) => !ONLY || ONLY.includes(x.key))) {
      console.error(`scenario ${s.key}: ${s.what}`);
      const row = await runScenario(s);
      console.error(JSON.stringify(row));
      rows.push(row);
    }
    const f = (n: number | undefined, d = 1) => (n === undefined ? '–' : n.toFixed(d));
    const lines = [
      `\n${MIB} MiB, alice → bob, every home's WAN capped at ${MBIT} Mbit/s each way (tbf); lists: seconds from starting both bitweens until alice's / bob's list is visible at the other; throughput from the first byte on; CPU-s per GiB of each engine process (all threads)`,
      '| scenario | path (bob’s engine counted) | lists visible s (alice / bob) | TTFB s | total s | MB/s | % of cap | CPU-s/GiB seeder / leecher |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) =>
        r.ok
          ? `| ${r.scenario}: ${r.what} | ${r.transports} | ${f(r.aliceListS)} / ${f(r.bobListS)} | ${f(r.ttfbS)} | ${f(r.seconds)} | ${f(r.mbps)} | ${f(r.ofCap! * 100, 0)} % | ${f(r.seederCpuPerGiB)} / ${f(r.leecherCpuPerGiB)} |`
          : `| ${r.scenario}: ${r.what} | failed: ${r.error} | | | | | | |`,
      ),
    ];
    console.log(lines.join('\n'));
    const dir = await mkdtemp(join(tmpdir(), 'bench-lab-'));
    await writeFile(
      join(dir, 'friends-behind-routers.json'),
      JSON.stringify({ mib: MIB, mbit: MBIT, rows }, null, 2),
    );
    console.log(`JSON: ${join(dir, 'friends-behind-routers.json')}`);
  },
  3_600_000,
);
