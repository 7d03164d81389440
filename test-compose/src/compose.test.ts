/**
 * `docker compose up` for real: a private dockerd, the base images built locally (no registry
 * here), the real Dockerfile and docker-compose.yml with the demo profile (a bundled Prosody with
 * the friends alice and bob, bob's second stack). The steps run in order on one deployment:
 * build, up (healthy, no account yet), onboarding through PUT /v1/account, a share and download
 * between the two friends through the published APIs, the demo's setup, `--scale
 * torrent-engine=3`, a graceful stop of each service (timed), `down` and `up` with nothing lost.
 * Timings are printed and written to reports/compose.json; the test asserts behaviour only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheDir,
  freeRange,
  hasCommand,
  repoRoot,
  run,
  startDockerd,
  waitFor,
  type Dockerd,
  type Run,
} from './docker.js';

const isRoot = process.getuid?.() === 0;
const tools = await Promise.all(['dockerd', 'docker', 'debootstrap', 'docker-compose'].map(hasCommand));
const usable = isRoot && tools.every(Boolean);
if (!usable) {
  console.warn(
    'compose test skipped: needs root and dockerd, docker, debootstrap, docker-compose ' +
      '(apt-get install docker.io debootstrap docker-compose)',
  );
}

const PROJECT = 'bitween-ctest';
const logDir = path.join(repoRoot, 'reports', 'logs', 'compose');
/** Every service but the demo's one-shot setup, which a step runs on its own. */
const SERVICES = [
  'nats',
  'torrent-engine',
  'xmpp-gateway',
  'api',
  'demo-prosody',
  'demo-nats',
  'demo-torrent-engine',
  'demo-xmpp-gateway',
  'demo-api',
];
const ALICE_JID = 'alice@bitween.demo';

interface Torrent {
  hash: string;
  name: string;
  done: boolean;
  engineId: string;
  state: string;
}
interface Status {
  xmpp: { online?: boolean; configured?: boolean; jid?: string };
  engines: { engineId: string; endpoints: { address: string; port: number }[]; torrents: number }[];
}

/** What the report (reports/compose.json) says: sizes, durations. */
const measured: Record<string, unknown> = {};

let dockerd: Dockerd;
let env: NodeJS.ProcessEnv;
let envFile: string;
let sharesDir: string;
let ports: Record<string, number>;
let engineBase: number;

async function compose(args: string[], timeoutMs = 600_000): Promise<Run> {
  return run(
    'docker-compose',
    [
      '-p',
      PROJECT,
      '-f',
      path.join(repoRoot, 'docker-compose.yml'),
      '--env-file',
      envFile,
      '--profile',
      'demo',
      ...args,
    ],
    { env, timeoutMs },
  );
}
const docker = (args: string[], timeoutMs?: number) => run('docker', args, { env, timeoutMs });

async function containers(service: string): Promise<string[]> {
  const { stdout } = await compose(['ps', '-q', service]);
  return stdout.split('\n').filter(Boolean);
}

async function health(id: string): Promise<string> {
  const { stdout } = await docker([
    'inspect',
    '-f',
    '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
    id,
  ]);
  return stdout.trim();
}

async function allHealthy(services: string[]): Promise<void> {
  await waitFor(
    async () => {
      for (const service of services) {
        const ids = await containers(service);
        if (ids.length === 0) throw new Error(`${service}: no container`);
        for (const id of ids) {
          const h = await health(id);
          if (h !== 'healthy') throw new Error(`${service}: ${h}`);
        }
      }
      return true;
    },
    { what: `healthy: ${services.join(', ')}`, timeoutMs: 300_000, intervalMs: 2_000 },
  );
}

async function exec(service: string, cmd: string[]): Promise<string> {
  return (await compose(['exec', '-T', service, ...cmd])).stdout;
}

/** A REST client of one stack's published API, with its key read from the api's volume. */
class Api {
  key = '';
  constructor(
    readonly name: string,
    readonly service: string,
    readonly port: () => number,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port()}`;
  }
  async readKey(): Promise<string> {
    this.key = (await exec(this.service, ['cat', '/data/api/api-key'])).trim();
    return this.key;
  }
  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: {
        'x-api-key': this.key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name}: ${method} ${route}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  get = <T>(route: string) => this.request<T>('GET', route);
  torrents = async () => (await this.get<{ torrents: Torrent[] }>('/v1/torrents')).torrents;
}

/** `GET /health`'s status: ok, unconfigured or degraded. */
async function healthOf(api: Api): Promise<string> {
  const res = await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(30_000) });
  return ((await res.json()) as { status: string }).status;
}

const alice = new Api('alice', 'api', () => ports['api']!);
const bob = new Api('bob', 'demo-api', () => ports['demoApi']!);

function writeShare(name: string, bytes: number): string {
  const data = randomBytes(bytes);
  const file = path.join(sharesDir, name);
  writeFileSync(file, data);
  chmodSync(file, 0o644);
  return createHash('sha256').update(data).digest('hex');
}

/** What a NATS server answers a client that connects without credentials (the raw protocol). */
function natsWithoutCredentials(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sent = false;
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`NATS on ${port} did not answer: ${text}`));
    });
    socket.on('data', (data: Buffer) => {
      text += data.toString('utf8');
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n');
      }
      if (/-ERR|PONG/.test(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

/** Milliseconds from 'shutting down' to 'stopped' in a service's pino log (its own measure). */
async function shutdownMs(id: string): Promise<number | null> {
  const { stdout } = await docker(['logs', id]);
  let from: number | null = null;
  let to: number | null = null;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: string | number };
    const time = entry.time === undefined ? null : new Date(entry.time).getTime();
    if (entry.msg === 'shutting down') from = time;
    if (entry.msg === 'stopped') to = time;
  }
  return from !== null && to !== null && to >= from ? to - from : null;
}

describe.skipIf(!usable)(
  'docker compose: the real Dockerfile and docker-compose.yml under a private dockerd',
  () => {
    const started = Date.now();

    beforeAll(async () => {
      mkdirSync(logDir, { recursive: true });
      dockerd = await startDockerd(path.join(logDir, 'dockerd.log'));
      env = { ...process.env, DOCKER_HOST: dockerd.host, COMPOSE_HTTP_TIMEOUT: '300' };
      const t = Date.now();
      await run('bash', [path.join(repoRoot, 'docker/stand-ins/build.sh'), cacheDir], {
        env,
        timeoutMs: 900_000,
      });
      measured['standInsSeconds'] = (Date.now() - t) / 1000;

      // Ports: free ones, below the ephemeral range the other tests' random ports come from.
      const taken = new Set<number>();
      ports = {};
      for (const name of ['nats', 'natsMonitor', 'api', 'demoNats', 'demoNatsMonitor', 'demoApi', 'demoXmpp'])
        ports[name] = await freeRange(1, taken);
      engineBase = await freeRange(21, taken);
      const demoEngineBase = await freeRange(21, taken);

      sharesDir = mkdtempSync(path.join(tmpdir(), 'bitween-compose-shares-'));
      chmodSync(sharesDir, 0o755);
      envFile = path.join(cacheDir, 'compose-test.env');
      writeFileSync(
        envFile,
        [
          `BITWEEN_NATS_PORT=${ports['nats']}`,
          `BITWEEN_NATS_MONITOR_PORT=${ports['natsMonitor']}`,
          `BITWEEN_API_PORT=${ports['api']}`,
          `BITWEEN_TORRENT_PORT=${engineBase}-${engineBase + 20}`,
          `BITWEEN_DEMO_NATS_PORT=${ports['demoNats']}`,
          `BITWEEN_DEMO_NATS_MONITOR_PORT=${ports['demoNatsMonitor']}`,
          `BITWEEN_DEMO_API_PORT=${ports['demoApi']}`,
          `BITWEEN_DEMO_XMPP_PORT=${ports['demoXmpp']}`,
          `BITWEEN_DEMO_TORRENT_PORT=${demoEngineBase}-${demoEngineBase + 20}`,
          // Only loopback here: friends connect to each other at 127.0.0.1, which the dial
          // policy refuses unless the operator allows it.
          'BITWEEN_ANNOUNCE_ADDRESSES=127.0.0.1',
          'BITWEEN_DIAL_ALLOW=127.0.0.1',
          // Host networking: never ask this machine's own router (UPnP/NAT-PMP leave loopback).
          'BITWEEN_PORT_MAPPING=off',
          'BITWEEN_ANNOUNCE_IPV6=false',
          'BITWEEN_HEARTBEAT_MS=1000',
          `BITWEEN_SHARES_DIR=${sharesDir}`,
          '',
        ].join('\n'),
      );
      // Leftovers of an interrupted run.
      await compose(['down', '-v', '--remove-orphans']);
    });

    afterAll(async () => {
      if (!dockerd) return;
      if (envFile) {
        await compose(['logs', '--no-color', '--timestamps'])
          .then((r) => writeFileSync(path.join(logDir, 'compose.log'), r.stdout))
          .catch(() => undefined);
        await compose(['down', '-v', '--remove-orphans']).catch((err: unknown) => console.error(err));
      }
      await dockerd.stop();
      if (sharesDir) rmSync(sharesDir, { recursive: true, force: true });
      measured['totalSeconds'] = (Date.now() - started) / 1000;
      mkdirSync(path.join(repoRoot, 'reports'), { recursive: true });
      writeFileSync(path.join(repoRoot, 'reports', 'compose.json'), `${JSON.stringify(measured, null, 2)}\n`);
      console.log('compose test measurements:', JSON.stringify(measured, null, 2));
    });

    it('builds the images: multi-stage, small, non-root, no dev dependencies', async () => {
      const t = Date.now();
      await compose(['build'], 1_800_000).then((r) =>
        writeFileSync(path.join(logDir, 'build.log'), r.stdout + r.stderr),
      );
      measured['buildSeconds'] = (Date.now() - t) / 1000;
      const sizes: Record<string, number> = {};
      for (const image of [
        'bitween:latest',
        'bitween-demo-prosody:latest',
        'node:24-bookworm-slim',
        'debian:bookworm-slim',
      ]) {
        sizes[image] = Number((await docker(['image', 'inspect', '-f', '{{.Size}}', image])).stdout.trim());
      }
      measured['imageBytes'] = sizes;
      measured['bitweenLayersOverBaseBytes'] = sizes['bitween:latest']! - sizes['node:24-bookworm-slim']!;
      expect(
        (await docker(['image', 'inspect', '-f', '{{.Config.User}}', 'bitween:latest'])).stdout.trim(),
      ).toBe('node');
      expect(
        (
          await docker(['image', 'inspect', '-f', '{{.Config.User}}', 'bitween-demo-prosody:latest'])
        ).stdout.trim(),
      ).toBe('prosody');
      // No dev dependencies: no compiler, test runner, linter, nx, nor the `node` package's binary.
      const { stdout } = await docker([
        'run',
        '--rm',
        '--network',
        'host',
        '--entrypoint',
        'sh',
        'bitween:latest',
        '-c',
        'id -u; ls node_modules; ls node_modules/@bitween; test -f apps/api/dist/main.js && echo built',
      ]);
      const lines = stdout.split('\n');
      expect(lines[0]).toBe('1000');
      for (const dev of ['typescript', 'vitest', 'nx', 'eslint', 'prettier', 'node'])
        expect(lines, `${dev} in the image`).not.toContain(dev);
      expect(lines).toContain('webtorrent');
      expect(lines).toContain('built');
    }, 1_800_000);

    it('up: every service turns healthy; without an account the gateway runs and waits for one', async () => {
      const t = Date.now();
      await compose(['up', '-d', ...SERVICES]);
      await allHealthy(SERVICES);
      measured['upToHealthySeconds'] = (Date.now() - t) / 1000;
      await alice.readKey();
      await bob.readKey();
      expect(await alice.get('/v1/account')).toMatchObject({ configured: false, jid: null, online: false });
      // Bob's stack has its account from the environment and logs in to the bundled Prosody.
      await waitFor(async () => (await healthOf(bob)) === 'ok', {
        what: "bob's /health ok",
      });
      expect(await bob.get('/v1/account')).toMatchObject({
        configured: true,
        source: 'environment',
        online: true,
      });
      // Alice's stack works and waits for its account: /health says so (200, not a failure).
      const h = await fetch(`${alice.url}/health`);
      expect(h.status).toBe(200);
      expect(await h.json()).toMatchObject({ status: 'unconfigured', nats: 'connected' });
    });

    it('NATS: each service signs in with its own seed only; no credentials or overreach are refused', async () => {
      // The one-shot nats-auth ran first and succeeded, for both stacks.
      for (const service of ['nats-auth', 'demo-nats-auth']) {
        const [id] = await containers(service);
        expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', id!])).stdout.trim(), service).toBe(
          '0',
        );
      }
      // Each service container holds exactly its own seed (0600, node) and nobody else's.
      const own: Record<string, string> = {
        api: 'api',
        'torrent-engine': 'torrent-engine',
        'xmpp-gateway': 'xmpp-gateway',
        'demo-api': 'api',
        'demo-torrent-engine': 'torrent-engine',
        'demo-xmpp-gateway': 'xmpp-gateway',
      };
      const keys = new Set<string>();
      for (const [service, role] of Object.entries(own)) {
        const files = (await exec(service, ['find', '/nats-auth', '-type', 'f'])).trim().split('\n');
        expect(files, service).toEqual([`/nats-auth/${role}/seed.nk`]);
        expect((await exec(service, ['stat', '-c', '%a %U', files[0]!])).trim(), service).toBe('600 node');
        const [id] = await containers(service);
        const logs = (await docker(['logs', id!])).stdout;
        const user = /"user":"(U[A-Z2-7]{55})","msg":"connected to NATS"/.exec(logs)?.[1];
        expect(user, `${service} connected with its NATS user`).toBeDefined();
        keys.add(user!);
      }
      expect(keys.size, 'six users: three per stack').toBe(6);
      // A client without credentials gets no further than the greeting.
      for (const port of [ports['nats']!, ports['demoNats']!]) {
        const answer = await natsWithoutCredentials(port);
        expect(answer).toContain('"auth_required":true');
        expect(answer).toContain("-ERR 'Authorization Violation'");
      }
      // The engine's own credentials cannot set the XMPP account, nor read the api's replies.
      const script = [
        "import { connect } from '@nats-io/transport-node';",
        "import { natsAuthOptions, readNatsSeedFile } from '@bitween/runtime';",
        'const creds = readNatsSeedFile(process.env.BITWEEN_NATS_NKEY_SEED_FILE);',
        'const nc = await connect({ servers: process.env.BITWEEN_NATS_URL, ...natsAuthOptions(creds) });',
        "const set = await nc.request('bitween.v1.xmpp.account.set', '{}', { timeout: 5000 }).then(() => 'answered', (e) => e.message);",
        "const sub = nc.subscribe('_INBOX.>');",
        "const snoop = await (async () => { try { for await (const m of sub) return 'got ' + m.subject; return 'ended'; } catch (e) { return e.message; } })();",
        'console.log(JSON.stringify({ set, snoop }));',
        'await nc.close();',
      ].join('\n');
      const out = JSON.parse(
        (await exec('torrent-engine', ['node', '--input-type=module', '-e', script]))
          .trim()
          .split('\n')
          .pop()!,
      ) as { set: string; snoop: string };
      expect(out.set).toMatch(/Permissions Violation for Publish to "bitween\.v1\.xmpp\.account\.set"/);
      expect(out.snoop).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    });

    it('onboards alice through PUT /v1/account (what the web UI calls); the gateway stores it 0600', async () => {
      const set = await alice.request<{ jid: string; online: boolean }>('PUT', '/v1/account', {
        jid: ALICE_JID,
        password: 'alice-demo',
        service: `xmpp://127.0.0.1:${ports['demoXmpp']}`,
      });
      expect(set.jid).toBe(ALICE_JID);
      await waitFor(async () => (await healthOf(alice)) === 'ok', {
        what: "alice's /health ok",
      });
      expect(await alice.get('/v1/account')).toMatchObject({
        configured: true,
        source: 'setup',
        jid: ALICE_JID,
        online: true,
      });
      expect(
        (await exec('xmpp-gateway', ['stat', '-c', '%a %U', '/data/xmpp/xmpp-account.json'])).trim(),
      ).toBe('600 node');
      // Not visible to the other services: the engine's and api's volume has no such file.
      expect((await exec('api', ['ls', '-A', '/data/xmpp'])).trim()).toBe('');
    });

    let fileHash = '';
    let fileSha = '';
    it("alice shares a file; bob finds it among his friend's shares and downloads it (published APIs)", async () => {
      fileSha = writeShare('holiday-video.bin', 3 * 1024 * 1024);
      const added = await alice.request<{ torrent: Torrent }>('POST', '/v1/torrents', {
        path: '/shares/holiday-video.bin',
      });
      fileHash = added.torrent.hash;
      await waitFor(
        async () =>
          (await bob.get<{ shares: { hash: string }[] }>('/v1/search?q=holiday')).shares.some(
            (s) => s.hash === fileHash,
          ),
        { what: "alice's share in bob's search" },
      );
      const t = Date.now();
      await bob.request('POST', '/v1/torrents', { hash: fileHash });
      await waitFor(async () => (await bob.get<Torrent>(`/v1/torrents/${fileHash}`)).done, {
        what: "bob's download done",
        timeoutMs: 300_000,
      });
      measured['download3MiBSeconds'] = (Date.now() - t) / 1000;
      const sum = (await exec('demo-api', ['sha256sum', '/data/downloads/holiday-video.bin'])).split(' ')[0];
      expect(sum).toBe(fileSha);
    });

    it("the demo's setup leaves alice's account alone and has bob share a file that alice downloads", async () => {
      await compose(['up', '-d', 'demo-setup']);
      const [id] = await containers('demo-setup');
      expect((await docker(['wait', id!], 300_000)).stdout.trim()).toBe('0');
      const logs = (await docker(['logs', id!])).stdout;
      expect(logs).toContain(`already has an account (${ALICE_JID})`);
      const share = await waitFor(
        async () =>
          (await alice.get<{ shares: { hash: string; name: string }[] }>('/v1/search?q=hello')).shares.find(
            (s) => s.name === 'hello-from-bob.txt',
          ),
        { what: "bob's demo share at alice" },
      );
      await alice.request('POST', '/v1/torrents', { hash: share.hash });
      await waitFor(async () => (await alice.get<Torrent>(`/v1/torrents/${share.hash}`)).done, {
        what: "alice's download of bob's demo share",
        timeoutMs: 300_000,
      });
      expect(await exec('torrent-engine', ['head', '-c', '15', '/data/downloads/hello-from-bob.txt'])).toBe(
        'Hello from bob!',
      );
    });

    it('--scale torrent-engine=3: three engines with their own ids and ports; torrents spread; scale-down hands them over', async () => {
      await compose(['up', '-d', '--no-recreate', '--scale', 'torrent-engine=3', 'torrent-engine']);
      await allHealthy(['torrent-engine']);
      const status = await waitFor(
        async () => {
          const s = await alice.get<Status>('/v1/status');
          return s.engines.length === 3 ? s : null;
        },
        { what: 'three live engines' },
      );
      const ids = status.engines.map((e) => e.engineId).sort();
      expect(ids).toEqual(['engine-1', 'engine-2', 'engine-3']);
      // Slot engine-N listens on the N-th port of the range, and announces it.
      for (const e of status.engines) {
        const n = Number(e.engineId.split('-')[1]);
        expect(e.endpoints).toEqual([{ address: '127.0.0.1', port: engineBase + n - 1 }]);
      }
      // New torrents land on any of them (NATS queue group): share until two engines hold some.
      const placed = new Map<string, string>();
      for (let i = 0; i < 12 && new Set(placed.values()).size < 2; i++) {
        writeShare(`scaled-${i}.bin`, 256 * 1024);
        const { torrent } = await alice.request<{ torrent: Torrent }>('POST', '/v1/torrents', {
          path: `/shares/scaled-${i}.bin`,
        });
        placed.set(torrent.hash, torrent.engineId);
      }
      measured['placement'] = Object.fromEntries(placed);
      expect(new Set(placed.values()).size).toBeGreaterThanOrEqual(2);
      const before = (await alice.torrents()).map((t) => t.hash).sort();

      await compose(['up', '-d', '--no-recreate', '--scale', 'torrent-engine=1', 'torrent-engine']);
      const after = await waitFor(
        async () => {
          const s = await alice.get<Status>('/v1/status');
          if (s.engines.length !== 1) return null;
          const list = await alice.torrents();
          const owner = s.engines[0]!.engineId;
          return list.length === before.length && list.every((t) => t.engineId === owner && t.done)
            ? list
            : null;
        },
        { what: 'every torrent on the one engine left, complete' },
      );
      expect(after.map((t) => t.hash).sort()).toEqual(before);
    });

    it('stops each service gracefully (timed); the gateway retracts its resource; down and up lose nothing', async () => {
      const keyBefore = alice.key;
      const torrentsBefore = (await alice.torrents()).map((t) => t.hash).sort();
      const bobTorrentsBefore = (await bob.torrents()).map((t) => t.hash).sort();
      const stops: Record<string, { composeStopMs: number; serviceMs: number | null; exitCode: number }> = {};
      const stop = async (service: string) => {
        const [id] = await containers(service);
        const t = Date.now();
        await compose(['stop', '-t', '15', service]);
        const composeStopMs = Date.now() - t;
        const exitCode = Number((await docker(['inspect', '-f', '{{.State.ExitCode}}', id!])).stdout.trim());
        stops[service] = { composeStopMs, serviceMs: await shutdownMs(id!), exitCode };
        return { t };
      };

      // Bob sees alice's bitween resource with her shares until her gateway stops.
      const aliceResources = async () =>
        (await bob.get<{ resources: { shares: unknown[] }[] }>(`/v1/contacts/${ALICE_JID}/shares`)).resources
          .length;
      expect(await aliceResources()).toBeGreaterThan(0);
      const { t } = await stop('xmpp-gateway');
      await waitFor(async () => (await aliceResources()) === 0, { what: "alice's resource gone at bob" });
      measured['retractionSeenByFriendMs'] = Date.now() - t;
      for (const service of [
        'torrent-engine',
        'api',
        'demo-xmpp-gateway',
        'demo-torrent-engine',
        'demo-api',
        'nats',
      ])
        await stop(service);
      measured['shutdown'] = stops;
      for (const [service, s] of Object.entries(stops)) {
        if (service === 'nats') continue; // nats-server exits 1 after a clean SIGTERM shutdown
        expect(s.exitCode, `${service} exit code (137: killed after the grace period)`).toBe(0);
        expect(s.serviceMs, `${service} logged shutting down … stopped`).not.toBeNull();
      }
      expect(stops['nats']?.exitCode).not.toBe(137);
      const [natsId] = await containers('nats');
      expect((await docker(['logs', natsId!])).stderr + (await docker(['logs', natsId!])).stdout).toContain(
        'Server Exiting',
      );

      await compose(['down']);
      const t2 = Date.now();
      await compose(['up', '-d', ...SERVICES]);
      await allHealthy(SERVICES);
      measured['secondUpToHealthySeconds'] = (Date.now() - t2) / 1000;
      expect(await alice.readKey()).toBe(keyBefore);
      await waitFor(async () => (await healthOf(alice)) === 'ok', {
        what: 'alice logged in again with the stored account',
      });
      expect(await alice.get('/v1/account')).toMatchObject({
        configured: true,
        source: 'setup',
        jid: ALICE_JID,
      });
      await waitFor(
        async () => {
          const list = await alice.torrents();
          return list.length === torrentsBefore.length && list.every((x) => x.done);
        },
        { what: "alice's torrents restored" },
      );
      expect((await alice.torrents()).map((x) => x.hash).sort()).toEqual(torrentsBefore);
      await bob.readKey();
      await waitFor(async () => (await bob.torrents()).length === bobTorrentsBefore.length, {
        what: "bob's torrents restored",
      });
      expect(await bob.get<Torrent>(`/v1/torrents/${fileHash}`)).toMatchObject({ done: true });
      // And the share still works: bob sees alice's file again.
      await waitFor(
        async () =>
          (await bob.get<{ shares: { hash: string }[] }>('/v1/search?q=holiday')).shares.some(
            (s) => s.hash === fileHash,
          ),
        { what: "alice's share at bob after the restart" },
      );
    });
  },
);
