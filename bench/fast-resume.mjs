// Restart benchmark: an engine holding 200 seeded torrents totalling >= 20 GiB (sparse files) is
// restarted with its fast-resume data, then again without it (full verification). Prints the time
// from spawning the engine process until every torrent is seeding and commands are answered.
//
//   node bench/fast-resume.mjs [--torrents 200] [--mib-each 104]
import { mkdir, mkdtemp, open, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { engine } from '@bitween/messages';
import { ok, startEngine, startNats } from './lib/procs.mjs';

const { values: args } = parseArgs({
  options: {
    torrents: { type: 'string', default: '200' },
    'mib-each': { type: 'string', default: '104' },
  },
});
const count = Number(args.torrents);
const each = Number(args['mib-each']) * 1024 * 1024;

const root = await mkdtemp(join(tmpdir(), 'bench-resume-'));
const shares = join(root, 'shares');
const dir = join(root, 'engine');
await mkdir(shares, { recursive: true });
const nats = await startNats();

console.error(
  `sharing ${count} sparse files of ${each / 1024 ** 2} MiB (${((count * each) / 1024 ** 3).toFixed(1)} GiB)`,
);
let seeder = await startEngine({ id: 'resume', nats, dir });
const hashingStarted = performance.now();
for (let i = 0; i < count; i++) {
  const file = join(shares, `share-${String(i).padStart(3, '0')}.bin`);
  await (await open(file, 'w')).close();
  await truncate(file, each);
  ok(await nats.bus.request(engine.addPath, { path: file }, { timeoutMs: 600_000 }));
}
const hashingSeconds = (performance.now() - hashingStarted) / 1000;
// Resume data is written as each torrent completes, and again at shutdown.
await seeder.stop();

/** Spawn the engine; seconds until it answers commands and every torrent is seeding. */
async function restart(label) {
  const e = await startEngine({ id: 'resume', nats, dir });
  const restored = await e.waitFor(
    (l) => l.msg === 'restored torrents ready',
    'restored torrents',
    1_800_000,
  );
  const { torrents } = ok(await nats.bus.request(engine.list, {}, { params: { engineId: 'resume' } }));
  const seeding = torrents.filter((t) => t.state === 'seeding').length;
  if (seeding !== count) throw new Error(`${label}: ${seeding} of ${count} torrents seeding`);
  const servedAt = performance.now();
  const result = {
    label,
    untilReady: (e.readyAt - e.spawnedAt) / 1000,
    untilRestored: (restored.receivedAt - e.spawnedAt) / 1000,
    untilServing: (servedAt - e.spawnedAt) / 1000,
    resumed: restored.resumed,
    verified: restored.verified,
  };
  await e.stop();
  return result;
}

const fast = await restart('with fast resume');
for (const name of await readdir(join(dir, 'state', 'resume'))) {
  if (name.endsWith('.resume')) await rm(join(dir, 'state', 'resume', name));
}
const slow = await restart('without fast resume (full verification)');
const fastAgain = await restart('with fast resume (saved after the verification)');

console.log(
  `\nRestart of an engine with ${count} seeded torrents, ${((count * each) / 1024 ** 3).toFixed(1)} GiB (sparse files); created in ${hashingSeconds.toFixed(1)} s`,
);
console.log(
  '| restart | process ready (s) | all torrents checked (s) | list shows all seeding (s) | resumed / verified |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const r of [fast, slow, fastAgain]) {
  console.log(
    `| ${r.label} | ${r.untilReady.toFixed(2)} | ${r.untilRestored.toFixed(2)} | ${r.untilServing.toFixed(2)} | ${r.resumed} / ${r.verified} |`,
  );
}
await nats.stop();
await rm(root, { recursive: true, force: true });
