import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engineEnv } from './engine-env.js';
import { makeTempDir, removeTempDir, type Cleanup } from './cleanup.js';
import { JsonRpcClient } from './jsonrpc.js';
import { RestClient } from './rest.js';
import { startNats, type NatsServer } from './nats.js';
import { freePort } from './ports.js';
import { startProsody, type Prosody, type ProsodyOptions } from './prosody.js';
import { startService, type ServiceProcess } from './service.js';

/**
 * One user's whole bitween: their own NATS (with authorization: one NKEY user per service, as
 * `npm start` and docker compose run it) and the three services, as real processes.
 */
export interface BitweenNode {
  user: string;
  jid: string;
  nats: NatsServer;
  engine: ServiceProcess;
  gateway: ServiceProcess;
  api: ServiceProcess;
  apiUrl: string;
  /** The API key the api generated on its first start (read from `dirs.apiData/api-key`). */
  apiKey: string;
  /** JSON-RPC client of the api, sending the key. */
  rpc: JsonRpcClient;
  /** REST client of the api (`/v1`), sending the key. */
  rest: RestClient;
  /**
   * Temp dirs: `shares` (files to share), `downloads` (default save path), `state`, `apiData`
   * (the api's BITWEEN_DATA_DIR, holding its key), `gatewayData` (the gateway's, holding an
   * account set at run time).
   */
  dirs: {
    root: string;
    shares: string;
    downloads: string;
    state: string;
    apiData: string;
    gatewayData: string;
  };
  services(): ServiceProcess[];
  /**
   * Start a service again with the same environment (after stopping it); updates the field.
   * `readyTimeoutMs`: how long it may take to be ready (default 60 s; e.g. an engine loading thousands of torrents).
   */
  restart(name: 'engine' | 'gateway' | 'api', opts?: { readyTimeoutMs?: number }): Promise<ServiceProcess>;
}

export interface NodeOptions {
  user: string;
  password: string;
  /** XMPP resource (one per instance of the same account); default `bitween`. */
  resource?: string;
  /** Label prefix for logs and temp dirs; default the user name. */
  name?: string;
  prosody: Prosody;
  /** Extra environment for every service (e.g. BITWEEN_LOG_LEVEL). */
  env?: Record<string, string>;
  /**
   * First run without an account: the gateway gets no BITWEEN_XMPP_JID/PASSWORD and waits for
   * `PUT /v1/account` (onboarding); `user`/`password` are then what the test sets.
   */
  unconfigured?: boolean;
}

export async function startNode(cleanup: Cleanup, opts: NodeOptions): Promise<BitweenNode> {
  const name = opts.name ?? opts.user;
  const root = await makeTempDir(`bitween-${name}`);
  cleanup.add(`${name} dirs`, () => removeTempDir(root));
  const dirs = {
    root,
    shares: join(root, 'shares'),
    downloads: join(root, 'downloads'),
    state: join(root, 'state'),
    apiData: join(root, 'api-data'),
    gatewayData: join(root, 'gateway-data'),
  };
  await Promise.all([mkdir(dirs.shares), mkdir(dirs.downloads), mkdir(dirs.state)]);

  const nats = await startNats(cleanup);
  const common = { BITWEEN_NATS_URL: nats.url, BITWEEN_LOG_LEVEL: 'debug', ...opts.env };
  const specs = {
    engine: {
      name: 'torrent-engine' as const,
      label: `${name}-engine`,
      env: engineEnv({
        natsUrl: nats.url,
        engineId: `${name}-engine-1`,
        downloads: dirs.downloads,
        state: dirs.state,
        shareRoots: [dirs.shares],
        // Each service signs in to NATS with its own seed (its own permissions): startService.
        extra: opts.env,
      }),
    },
    gateway: {
      name: 'xmpp-gateway' as const,
      label: `${name}-gateway`,
      env: {
        ...common,
        BITWEEN_DATA_DIR: dirs.gatewayData,
        ...(opts.unconfigured
          ? {}
          : {
              BITWEEN_XMPP_JID: opts.prosody.jid(opts.user),
              BITWEEN_XMPP_PASSWORD: opts.password,
              BITWEEN_XMPP_SERVICE: opts.prosody.service,
            }),
        ...(opts.resource ? { BITWEEN_XMPP_RESOURCE: opts.resource } : {}),
      },
    },
    api: {
      name: 'api' as const,
      label: `${name}-api`,
      env: {
        ...common,
        BITWEEN_API_HOST: '127.0.0.1',
        BITWEEN_API_PORT: String(await freePort()),
        BITWEEN_DATA_DIR: dirs.apiData,
      },
    },
  };
  const engine = await startService(cleanup, specs.engine);
  const gateway = await startService(cleanup, specs.gateway);
  const api = await startService(cleanup, specs.api);
  const apiUrl = `http://127.0.0.1:${specs.api.env.BITWEEN_API_PORT}`;
  const apiKey = (await readFile(join(dirs.apiData, 'api-key'), 'utf8')).trim();
  const node: BitweenNode = {
    user: opts.user,
    jid: opts.prosody.jid(opts.user),
    nats,
    engine,
    gateway,
    api,
    apiUrl,
    apiKey,
    rpc: new JsonRpcClient(apiUrl, { token: apiKey }),
    rest: new RestClient(apiUrl, apiKey),
    dirs,
    services: () => [node.engine, node.gateway, node.api],
    restart: async (name, opts) => {
      const started = await startService(cleanup, { ...specs[name], ...opts });
      node[name] = started;
      return started;
    },
  };
  return node;
}

export interface FriendsOptions {
  /** Label prefix for each node (`<prefix>-<user>`); default the user name alone. */
  label?: string;
  /** Extra environment for every service of every node. */
  env?: Record<string, string>;
  /** Options for one user's node (e.g. `{ alice: { unconfigured: true } }`); its `env` adds to `env`. */
  node?: Record<string, Partial<NodeOptions>>;
  /** More accounts (`<user>` / `<user>-pw`) without a node: test clients, strangers. */
  accounts?: string[];
  /** Of those, the ones on everybody's roster too (default: none, they are strangers). */
  friends?: string[];
  /** Prosody's other options (modules, extra config). */
  prosody?: Omit<ProsodyOptions, 'accounts' | 'friends'>;
}

/**
 * `startFriends` options under which `dialer` (default bob) reaches his friends only by rendezvous
 * over XMPP: no engine admits a peer by configuration (BITWEEN_PEER_ALLOW empty: contacts' tickets
 * only), and the dialer's own dial policy refuses this host (BITWEEN_DIAL_ALLOW empty), so his
 * engine asks for a connection through the gateways and the friend's engine dials back.
 */
export function rendezvousOnly(label: string, dialer = 'bob'): FriendsOptions {
  return {
    label,
    env: { BITWEEN_PEER_ALLOW: '' },
    node: { [dialer]: { env: { BITWEEN_DIAL_ALLOW: '' } } },
  };
}

/**
 * The usual set-up of an end-to-end test: a Prosody with accounts `<user>` / `<user>-pw` who
 * all have each other on their rosters, and one bitween node per user, started in parallel.
 */
export async function startFriends<const U extends readonly string[]>(
  cleanup: Cleanup,
  users: U,
  opts: FriendsOptions = {},
): Promise<{ prosody: Prosody; nodes: { -readonly [K in keyof U]: BitweenNode } }> {
  const prosody = await startProsody(cleanup, {
    ...opts.prosody,
    accounts: [...users, ...(opts.accounts ?? [])].map((user) => ({ user, password: `${user}-pw` })),
    friends: [...users, ...(opts.friends ?? [])],
  });
  const nodes = await Promise.all(
    users.map((user) => {
      const own = opts.node?.[user];
      const env = { ...opts.env, ...own?.env };
      return startNode(cleanup, {
        user,
        password: `${user}-pw`,
        prosody,
        ...(opts.label ? { name: `${opts.label}-${user}` } : {}),
        ...own,
        env,
      });
    }),
  );
  return { prosody, nodes: nodes as { -readonly [K in keyof U]: BitweenNode } };
}
