// `npm start`: run bitween on this host without Docker. Starts nats-server (from PATH, with
// JetStream, data in ./data/nats) unless BITWEEN_NATS_URL is set, then the three services with
// the environment of ./.env (if present) and the process. Ctrl-C or SIGTERM stops them all
// gracefully; if one service exits, the others are stopped too.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
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

async function startNats() {
  const dir = path.join(root, 'data', 'nats');
  mkdirSync(dir, { recursive: true });
  const port = process.env.BITWEEN_NATS_PORT ?? '4222';
  const nats = run('nats', 'nats-server', ['-a', '127.0.0.1', '-p', port, '-js', '-sd', dir]);
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
if (!env.BITWEEN_NATS_URL) env.BITWEEN_NATS_URL = await startNats();
// Each app as in docker-compose.yml: its launch.json's Node flags, and its environment unless
// already set (the engine's heap and malloc settings; see docs/architecture.md).
for (const app of ['torrent-engine', 'xmpp-gateway', 'api']) {
  const launch = readLaunch(path.join(root, 'apps', app));
  const main = path.join(root, 'apps', app, 'dist', 'main.js');
  run(app, process.execPath, [...launch.nodeArgs, main], { ...launch.env, ...env });
}
