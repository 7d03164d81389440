// `npm start`: run bitween on this host without Docker. Unless BITWEEN_NATS_URL is set, starts
// nats-server (from PATH, with JetStream, its store in <data dir>/nats) with authorization: one
// NKEY user per service, generated on the first start under <data dir>/nats-auth (seeds 0600,
// never committed: data/ is ignored) and each service given only its own seed. Then the three
// services with the environment of ./.env (if present) and the process. The data dir is
// BITWEEN_DATA_DIR (default ./data), so two stacks from one checkout with different data dirs
// (and ports) share nothing: NATS's store and users, the engine's downloads and state (unless
// BITWEEN_DOWNLOAD_DIR / BITWEEN_STATE_DIR say otherwise), the api's key, the gateway's account.
// A process that exits on its own is started again after a back-off (scripts/supervisor.mjs);
// Ctrl-C or SIGTERM stops them all gracefully, services first and NATS last. Logs: one JSON line
// per event on stdout (pino's format; nats-server's and stray lines wrapped), or readable with
// pino-pretty when stdout is a terminal (BITWEEN_LOG_FORMAT=json|pretty overrides).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ensureNatsAuth, natsAuthLayout } from '@bitween/nats-auth';
import { readLaunch } from '@bitween/runtime';
import { logSink } from './log-sink.mjs';
import { Supervisor } from './supervisor.mjs';

const root = path.resolve(import.meta.dirname, '..');
if (existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));

const format = process.env.BITWEEN_LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json');
if (format !== 'json' && format !== 'pretty') {
  console.error(`BITWEEN_LOG_FORMAT: must be json or pretty (got ${JSON.stringify(format)})`);
  process.exit(2);
}
const sink = logSink(format);
const supervisor = new Supervisor({ cwd: root, sink });

process.on('SIGINT', () => void supervisor.stop());
process.on('SIGTERM', () => void supervisor.stop());
// Never leave a service behind, whatever ends this script; its exit code is the supervisor's.
process.on('exit', () => supervisor.kill());
process.on('beforeExit', () => (process.exitCode = supervisor.exitCode ?? 0));

// The services resolve BITWEEN_DATA_DIR against the same working directory (the repository).
const dataDir = path.resolve(root, process.env.BITWEEN_DATA_DIR || 'data');

async function startNats(serverConfig) {
  const dir = path.join(dataDir, 'nats');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = process.env.BITWEEN_NATS_PORT ?? '4222';
  await supervisor.add({
    label: 'nats-server',
    command: 'nats-server',
    args: ['-c', serverConfig, '-a', '127.0.0.1', '-p', port, '-js', '-sd', dir],
    env: process.env,
    // Stopped after the services (they withdraw their state over it).
    last: true,
    readyWhen: (line) => line.includes('Server is ready'),
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
try {
  if (!env.BITWEEN_NATS_URL) {
    // Seeds are kept from the first start; the server's configuration is written again from the
    // permission table each time (libs/nats-auth).
    auth = ensureNatsAuth(natsAuthLayout(path.join(dataDir, 'nats-auth')));
    for (const user of Object.values(auth.users)) {
      if (user.seed !== 'kept')
        sink.note('info', `NATS user of ${user.name}: seed ${user.seed} in ${user.seedFile}`);
    }
    env.BITWEEN_NATS_URL = await startNats(auth.serverConfig);
  }
} catch (err) {
  sink.note('fatal', err instanceof Error ? err.message : String(err));
  await supervisor.stop(1);
}
// Each app as in docker-compose.yml: its launch.json's Node flags, and its environment unless
// already set (the engine's heap and malloc settings; see docs/architecture.md).
if (!supervisor.stopping) {
  for (const app of ['torrent-engine', 'xmpp-gateway', 'api']) {
    const launch = readLaunch(path.join(root, 'apps', app));
    const main = path.join(root, 'apps', app, 'dist', 'main.js');
    const nats = auth ? { BITWEEN_NATS_NKEY_SEED_FILE: auth.users[app].seedFile } : {};
    void supervisor.add({
      label: app,
      command: process.execPath,
      args: [...launch.nodeArgs, main],
      env: { ...launch.env, ...env, ...nats },
    });
  }
}
