// Takeover of an engine that holds many torrents (issue 23): a "victim" engine restores N seeded
// torrents (tiny files; their records and .torrent files are written into its state folder before
// it starts, as if it had shared them), a "survivor" engine runs beside it on the same NATS, state
// dir and data; the victim is killed (SIGKILL) and we measure the time until every torrent is
// owned by the survivor: its claims in `bitween_torrent_owners`, its keys in the registry
// (`bitween_engine_torrents`, what the gateway and api read) and its own `engine.list`. Also
// measured: the victim's start (restore, and the registry's torrent keys written), and the size of
// the registry entries (they no longer grow with the torrents).
//
//   npm run bench:takeover [-- --torrents 10000 --heartbeat-ms 3000]
//   --survivor-node-arg=--cpu-prof --survivor-node-arg=--cpu-prof-dir=DIR   (Node flags of the survivor)
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import bencode from 'bencode';
import { buckets } from '@bitween/messages';
import { fetchAllTorrents } from '@bitween/bus';
import { Kvm } from '@nats-io/kv';
import { startEngine, startNats } from './lib/procs.mjs';

const { values: args } = parseArgs({
  options: {
    torrents: { type: 'string', default: '10000' },
    'heartbeat-ms': { type: 'string', default: '3000' },
    'survivor-node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const N = Number(args.torrents);
const HEARTBEAT_MS = Number(args['heartbeat-ms']);
const PIECE = 16384;

const seconds = (from) => ((performance.now() - from) / 1000).toFixed(1);
/** Polls `check` every 200 ms until it returns true (a benchmark waits for states, up to `limitMs`). */
async function until(what, check, limitMs = 1_800_000) {
  const from = performance.now();
  for (;;) {
    if (await check()) return;
    if (performance.now() - from > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-takeover-'));
const data = join(dir, 'data');
const victimState = join(dir, 'state', 'engine-1');
await mkdir(data, { recursive: true });
await mkdir(victimState, { recursive: true });

// N one-piece torrents of one small file each, recorded as shared by the victim.
let t = performance.now();
for (let i = 0; i < N; i++) {
  const name = `file-${String(i).padStart(6, '0')}.bin`;
  const content = Buffer.from(`bitween takeover bench ${i}\n`);
  await writeFile(join(data, name), content);
  const info = {
    length: content.length,
    name: Buffer.from(name),
    'piece length': PIECE,
    pieces: createHash('sha1').update(content).digest(),
  };
  const hash = createHash('sha1').update(bencode.encode(info)).digest('hex');
  await writeFile(join(victimState, `${hash}.torrent`), bencode.encode({ info }));
  await writeFile(
    join(victimState, `${hash}.json`),
    JSON.stringify({ hash, source: 'path', savePath: data, addedAt: 1_700_000_000_000 + i }),
  );
}
console.error(`wrote ${N} torrents in ${seconds(t)} s`);

const nats = await startNats();
const claimsKv = await new Kvm(nats.bus.nc).create(buckets.torrentOwners, { history: 1 });
const extraEnv = { BITWEEN_HEARTBEAT_MS: String(HEARTBEAT_MS) };

const held = (id) => nats.registry.torrents.of(id).length;
const countOf = async (id) => (await nats.registry.live()).find((e) => e.state.engineId === id);
async function claimedBy(id) {
  let n = 0;
  for await (const key of await claimsKv.keys()) {
    const e = await claimsKv.get(key);
    if (e?.operation === 'PUT' && e.json().engineId === id) n++;
  }
  return n;
}

// The victim restores the N torrents and writes their registry keys.
t = performance.now();
const victim = await startEngine({ id: 'engine-1', nats, dir, extraEnv, readyTimeoutMs: 1_800_000 });
const victimReady = seconds(t);
await until('the victim to list every torrent', async () => {
  const r = await fetchAllTorrents(nats.bus, 'engine-1', { timeoutMs: 60_000 });
  return r.ok && r.value.length === N && r.value.every((x) => x.state === 'seeding');
});
const victimSeeding = seconds(t);
await until('the victim’s registry keys', () => held('engine-1') === N);
const victimKeys = seconds(t);
const victimEntry = await countOf('engine-1');
const entryBytes = (await nats.registry.kv.get('engine-1'))?.length ?? 0;
console.error(
  `victim: ready ${victimReady} s, all seeding ${victimSeeding} s, registry keys ${victimKeys} s`,
);

const survivor = await startEngine({
  id: 'engine-2',
  nats,
  dir,
  extraEnv,
  nodeArgs: args['survivor-node-arg'],
});
await until('both engines live', async () => (await nats.registry.live()).length === 2);

// Kill the victim; time until the survivor owns everything.
const killedAt = performance.now();
await victim.stop('SIGKILL');
const times = {};
// Torrents the survivor holds by its registry entry's count (cheap: listing all of them every
// poll would cost the survivor a list of thousands of torrents five times a second).
const survivorCount = async () => (await nats.registry.kv.get('engine-2'))?.json().torrentCount ?? 0;
const progress = setInterval(
  () =>
    void survivorCount().then((n) =>
      console.error(`${seconds(killedAt)} s after SIGKILL: the survivor holds ${n}`),
    ),
  30_000,
);
await until('the survivor to hold every torrent', async () => {
  if (!times.first && (await survivorCount()) > 0) times.first = seconds(killedAt);
  if (!times.keys && held('engine-2') === N) times.keys = seconds(killedAt);
  if (!times.list && (await survivorCount()) === N) {
    const r = await fetchAllTorrents(nats.bus, 'engine-2', { timeoutMs: 60_000 });
    if (r.ok && r.value.length === N) times.list = seconds(killedAt);
  }
  return Boolean(times.keys && times.list);
});
clearInterval(progress);
const claimed = await claimedBy('engine-2');
const survivorEntryBytes = (await nats.registry.kv.get('engine-2'))?.length ?? 0;

console.log(`
Takeover of an engine holding ${N.toLocaleString('en')} torrents (heartbeat ${HEARTBEAT_MS} ms; one run)

| step | seconds |
| --- | --- |
| victim: start until ready | ${victimReady} |
| victim: start until all ${N} listed as seeding | ${victimSeeding} |
| victim: start until its ${N} registry keys are written | ${victimKeys} |
| SIGKILL → the survivor holds its first torrent (its registry entry's count) | ${times.first} |
| SIGKILL → the survivor's own \`engine.list\` has all ${N} | ${times.list} |
| SIGKILL → all ${N} under the survivor in the registry (\`bitween_engine_torrents\`) | ${times.keys} |

Registry entries (\`bitween_engines\`): victim ${entryBytes} bytes holding ${victimEntry?.state.torrents.length}
torrents, survivor ${survivorEntryBytes} bytes after the takeover; claims held by the survivor: ${claimed}.
`);

await survivor.stop();
await nats.stop();
await rm(dir, { recursive: true, force: true });
process.exit(0);
