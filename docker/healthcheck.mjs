// The image's HEALTHCHECK: finds the bitween service this container runs (the `node
// apps/<service>/dist/main.js` process) and checks it cheaply, without a NATS client:
// - api: GET /health answers (200 ok or unconfigured, 503 while XMPP is offline) and says
//   NATS is connected (the api's real connection state, confirmed by a PING round-trip; not
//   /health/ready, which also needs an engine and the gateway: those containers have their own
//   healthchecks, and the api serves without them);
// - torrent-engine, xmpp-gateway: the process holds an established TCP connection to the NATS
//   port (BITWEEN_NATS_URL); the engine also listens (its BitTorrent port).
// Exit 0 healthy, 1 unhealthy, with one line saying why.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const SERVICES = ['api', 'torrent-engine', 'xmpp-gateway'];

function findService() {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    // The node process itself, not the init (docker-init) that started it with the same arguments.
    if (!/(^|\/)node$/.test(argv[0] ?? '')) continue;
    const service = SERVICES.find((s) => argv.some((a) => a.endsWith(`apps/${s}/dist/main.js`)));
    if (service) return { pid, service };
  }
  return null;
}

/** TCP sockets of a process: [{ state, localPort, remotePort }] (state 01 established, 0A listen). */
function sockets(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const found = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9])) continue;
      const port = (addr) => parseInt(addr.split(':')[1], 16);
      found.push({ state: f[3], localPort: port(f[1]), remotePort: port(f[2]) });
    }
  }
  return found;
}

function natsPorts() {
  const urls = (process.env.BITWEEN_NATS_URL || 'nats://127.0.0.1:4222').split(',');
  return urls.map((u) => Number(new URL(u.includes('://') ? u : `nats://${u}`).port || 4222));
}

async function checkApi() {
  let host = process.env.BITWEEN_API_HOST || '127.0.0.1';
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  if (host.includes(':')) host = `[${host}]`;
  const port = process.env.BITWEEN_API_PORT || '5000';
  const res = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(4000) });
  const body = await res.json();
  if (body.nats !== 'connected') throw new Error(`api: NATS ${body.nats}`);
  return `api ${body.status} (HTTP ${res.status})`;
}

function checkConnected(pid, service) {
  const socks = sockets(pid);
  const ports = natsPorts();
  if (!socks.some((s) => s.state === '01' && ports.includes(s.remotePort)))
    throw new Error(`${service}: no connection to NATS (port ${ports.join(', ')})`);
  if (service === 'torrent-engine') {
    const listening = socks.filter((s) => s.state === '0A').map((s) => s.localPort);
    if (listening.length === 0) throw new Error('torrent-engine: not listening on a BitTorrent port');
    return `torrent-engine connected to NATS, listening on ${[...new Set(listening)].join(', ')}`;
  }
  return `${service} connected to NATS`;
}

try {
  const found = findService();
  if (!found) throw new Error('no bitween service process in this container');
  console.log(found.service === 'api' ? await checkApi() : checkConnected(found.pid, found.service));
  process.exit(0);
} catch (err) {
  console.log(`unhealthy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
