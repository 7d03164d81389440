import { mkdir, readFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { readLaunch } from '@bitween/runtime';
import { spawnChild } from '../harness/child.js';
import { makeTempDir, removeTempDir, type Cleanup } from '../harness/cleanup.js';
import { JsonRpcClient } from '../harness/jsonrpc.js';
import { startNats, type NatsServer } from '../harness/nats.js';
import { RestClient } from '../harness/rest.js';
import { repoRoot, startScript, type ScriptProcess, type ServiceName } from '../harness/service.js';
import type { Home } from './lab.js';
import { tool } from './netns.js';

/** One user's whole bitween inside a lab home: NATS and the three services in the home's server namespace. */
export interface HomeStack {
  user: string;
  jid: string;
  home: Home;
  engine: ScriptProcess;
  gateway: ScriptProcess;
  api: ScriptProcess;
  /** JSON-RPC of the api, reached from the test through a bridge (see `bridgeInto`). */
  rpc: JsonRpcClient;
  /** The api's REST resources, through the same bridge. */
  rest: RestClient;
  /** The home's NATS, with authorization as `npm start` runs it (one NKEY user per service). */
  nats: NatsServer;
  /** Where the test reaches that NATS (a bridge): `nats.connect('test', { servers: natsUrl })`. */
  natsUrl: string;
  /**
   * Starts another engine instance in the home (same settings, its own id `engine-N`, state and
   * port: the slot's port in 6881-6889, as `docker compose --scale` gives each instance).
   */
  addEngine(engineId: string): Promise<ScriptProcess>;
  dirs: { root: string; shares: string; downloads: string; state: string };
}

/** The XMPP server a home's gateway logs into: the lab's Prosody, or a federation server. */
export interface XmppService {
  jid(user: string): string;
  /** `xmpp://host:port`; absent: the gateway finds the server by DNS SRV (the federation lab). */
  service?: string;
}

/** A built app started as production does (launch.json), inside the namespace `ns`. */
export function startServiceIn(
  cleanup: Cleanup,
  ns: string,
  opts: { name: ServiceName; label: string; env: Record<string, string> },
): Promise<ScriptProcess> {
  const launch = readLaunch(join(repoRoot, 'apps', opts.name));
  // `ip netns exec NS node …` execs node in the namespace (same pid: signals reach it).
  return startScript(cleanup, {
    label: opts.label,
    script: join(repoRoot, 'apps', opts.name, 'dist', 'main.js'),
    interpreter: tool('ip'),
    nodeArgs: ['netns', 'exec', ns, process.execPath, ...launch.nodeArgs],
    env: { ...launch.env, ...opts.env },
  });
}

const BRIDGE = `
const net = require('node:net');
const [socketPath, port, host] = process.argv.slice(1);
net.createServer((c) => {
  const t = net.connect(Number(port), host);
  c.pipe(t).pipe(c);
  c.on('error', () => t.destroy());
  t.on('error', () => c.destroy());
}).listen(socketPath, () => console.log('bridging'));
`;

/**
 * A loopback port of the test's own namespace that reaches `host`:`port` inside `ns` (default
 * 127.0.0.1): a Unix socket (files cross namespaces, addresses do not) served by a small forwarder
 * in the namespace. The lab's namespaces stay unconnected to the host's network.
 */
export async function bridgeInto(
  cleanup: Cleanup,
  ns: string,
  port: number,
  host = '127.0.0.1',
): Promise<number> {
  const dir = await makeTempDir('lab-bridge');
  const socketPath = join(dir, 'bridge.sock');
  const child = await spawnChild(tool('ip'), [
    'netns',
    'exec',
    ns,
    process.execPath,
    '-e',
    BRIDGE,
    socketPath,
    String(port),
    host,
  ]);
  await child.output.wait((l) => l === 'bridging', { what: `the bridge into ${ns}`, timeoutMs: 10_000 });
  const open = new Set<Socket>();
  const server = createServer((c) => {
    const t = createConnection(socketPath);
    for (const s of [c, t]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
    c.pipe(t).pipe(c);
    c.on('error', () => t.destroy());
    t.on('error', () => c.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(`bridge into ${ns} ${host}:${port}`, async () => {
    // Idle keep-alive connections (the api keeps them 72 s) would hold close() up.
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await child.stop(2_000);
    await removeTempDir(dir);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bridge: no port');
  return address.port;
}

/**
 * Starts a whole bitween for `user` in `home`'s server namespace: NATS, engine (port mapping on,
 * addresses detected from the namespace's interfaces), gateway (logged in to `xmpp`, the
 * lab's XMPP server) and api. `env` adds to every service; `engineEnv`/`gatewayEnv` to one.
 */
export async function startHomeStack(
  cleanup: Cleanup,
  opts: {
    home: Home;
    user: string;
    password: string;
    /** The XMPP server the gateway logs into. */
    xmpp: XmppService;
    engineEnv?: Record<string, string>;
    gatewayEnv?: Record<string, string>;
  },
): Promise<HomeStack> {
  const { home, user } = opts;
  const ns = home.serverNs;
  const root = await makeTempDir(`lab-${user}`);
  cleanup.add(`${user} dirs`, () => removeTempDir(root));
  const dirs = {
    root,
    shares: join(root, 'shares'),
    downloads: join(root, 'downloads'),
    state: join(root, 'state'),
  };
  await Promise.all([mkdir(dirs.shares), mkdir(dirs.downloads), mkdir(dirs.state)]);
  const nats = await startNats(cleanup, { netns: ns });
  const common = { BITWEEN_LOG_LEVEL: 'debug' };
  const label = (s: string) => `lab-${user}-${s}`;

  const startEngine = (engineId: string) =>
    startServiceIn(cleanup, ns, {
      name: 'torrent-engine',
      label: label(engineId),
      env: {
        ...nats.env('torrent-engine'),
        ...common,
        BITWEEN_ENGINE_ID: engineId,
        BITWEEN_TORRENT_PORT: '6881-6889',
        BITWEEN_DOWNLOAD_DIR: dirs.downloads,
        BITWEEN_STATE_DIR: dirs.state,
        BITWEEN_SHARE_ROOTS: dirs.shares,
        BITWEEN_PORT_MAPPING: 'auto',
        ...opts.engineEnv,
      },
    });
  const engine = await startEngine('engine-1');
  const gateway = await startServiceIn(cleanup, ns, {
    name: 'xmpp-gateway',
    label: label('gateway'),
    env: {
      ...nats.env('xmpp-gateway'),
      ...common,
      BITWEEN_DATA_DIR: join(root, 'gateway-data'),
      BITWEEN_XMPP_JID: opts.xmpp.jid(user),
      BITWEEN_XMPP_PASSWORD: opts.password,
      ...(opts.xmpp.service ? { BITWEEN_XMPP_SERVICE: opts.xmpp.service } : {}),
      ...opts.gatewayEnv,
    },
  });
  const apiPort = 8080;
  const api = await startServiceIn(cleanup, ns, {
    name: 'api',
    label: label('api'),
    env: {
      ...nats.env('api'),
      ...common,
      BITWEEN_API_HOST: '127.0.0.1',
      BITWEEN_API_PORT: String(apiPort),
      BITWEEN_DATA_DIR: join(root, 'api-data'),
    },
  });
  const apiKey = (await readFile(join(root, 'api-data', 'api-key'), 'utf8')).trim();
  const hostPort = await bridgeInto(cleanup, ns, apiPort);
  const natsHostPort = await bridgeInto(cleanup, ns, nats.port);
  return {
    user,
    jid: opts.xmpp.jid(user),
    home,
    engine,
    gateway,
    api,
    rpc: new JsonRpcClient(`http://127.0.0.1:${hostPort}`, { token: apiKey }),
    rest: new RestClient(`http://127.0.0.1:${hostPort}`, apiKey),
    nats,
    natsUrl: `nats://127.0.0.1:${natsHostPort}`,
    addEngine: startEngine,
    dirs,
  };
}
