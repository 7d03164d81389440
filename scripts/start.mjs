// `npm start`: run bitween on this host without Docker. Unless BITWEEN_NATS_URL is set, starts
// nats-server (from PATH, with JetStream, its store in <data dir>/nats) with authorization: one
// NKEY user per service, generated on the first start under <data dir>/nats-auth (seeds 0600,
// never committed: data/ is ignored) and each service given only its own seed. Then the three
// services with the environment of ./.env (if present) and the process. The data dir is
// BITWEEN_DATA_DIR (default ./data), so two stacks from one checkout with different data dirs
// (and ports) share nothing: NATS's store and users, the engine's downloads and state (unless
// BITWEEN_DOWNLOAD_DIR / BITWEEN_STATE_DIR say otherwise), the api's key, the gateway's account. Ctrl-C or SIGTERM stops them all gracefully;
// if one service exits, the others are stopped too.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ensureNatsAuth, natsAuthLayout } from '@bitween/nats-auth';
import { readLaunch } from '@bitween/runtime';

const root = path.resolve(import.meta.dirname, '..');
if (existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));

const children = [];
let stopping = false;

function run(label, command, args, env = process.env) {
  // Own process group: Ctrl-C reaches only this script, which stops the services in order.
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => console.log(`${label.padEnd(15)}| ${line}`));
  }
  child.on('exit', (code, signal) => {
    console.log(`${label.padEnd(15)}| exited (${signal ?? code})`);
    if (!stopping) stop(code ?? 1);
  });
  children.push(child);
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // Services first, NATS last (they withdraw their state over it).
  const services = children.filter((c) => c.spawnargs[0] !== 'nats-server');
  for (const c of services) c.kill('SIGTERM');
  Promise.all(services.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      process.exitCode = code;
    },
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
// Never leave a service behind, whatever ends this script.
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

// The services resolve BITWEEN_DATA_DIR against the same working directory (the repository).
const dataDir = path.resolve(root, process.env.BITWEEN_DATA_DIR || 'data');

async function startNats(serverConfig) {
  const dir = path.join(dataDir, 'nats');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = process.env.BITWEEN_NATS_PORT ?? '4222';
  const nats = run('nats', 'nats-server', [
    '-c',
    serverConfig,
    '-a',
    '127.0.0.1',
    '-p',
    port,
    '-js',
    '-sd',
    dir,
  ]);
  await new Promise((resolve, reject) => {
    readline
      .createInterface({ input: nats.stderr })
      .on('line', (l) => l.includes('Server is ready') && resolve());
    nats.on('error', (err) =>
      reject(new Error(`cannot start nats-server (is it installed?): ${err.message}`)),
    );
    nats.on('exit', () => reject(new Error('nats-server exited')));
  });
  return `nats://127.0.0.1:${port}`;
}

const env = { ...process.env };
// Everything of this stack below its data dir: with the default (./data) these are the services'
// own defaults; with another BITWEEN_DATA_DIR the engine's downloads and state move along.
env.BITWEEN_DOWNLOAD_DIR ||= path.join(dataDir, 'downloads');
env.BITWEEN_STATE_DIR ||= path.join(dataDir, 'state');
/** The NATS users, when this script runs NATS (otherwise BITWEEN_NATS_NKEY_SEED_FILE as set). */
let auth = null;
if (!env.BITWEEN_NATS_URL) {
  // Seeds are kept from the first start; the server's configuration is written again from the
  // permission table each time (libs/nats-auth).
  auth = ensureNatsAuth(natsAuthLayout(path.join(dataDir, 'nats-auth')));
  for (const user of Object.values(auth.users)) {
    if (user.seed !== 'kept')
      console.log(`start          | NATS user of ${user.name}: seed ${user.seed} in ${user.seedFile}`);
  }
  env.BITWEEN_NATS_URL = await startNats(auth.serverConfig);
}
// Each app as in docker-compose.yml: its launch.json's Node flags, and its environment unless
// already set (the engine's heap and malloc settings; see docs/architecture.md).
for (const app of ['torrent-engine', 'xmpp-gateway', 'api']) {
  const launch = readLaunch(path.join(root, 'apps', app));
  const main = path.join(root, 'apps', app, 'dist', 'main.js');
  const nats = auth ? { BITWEEN_NATS_NKEY_SEED_FILE: auth.users[app].seedFile } : {};
  run(app, process.execPath, [...launch.nodeArgs, main], { ...launch.env, ...env, ...nats });
}
