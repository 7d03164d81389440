import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BusError, engine, serviceNames, type TorrentStatus } from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, SettingsStore, type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { natsAppDeps, overNats } from '../testing/app-deps.js';
import { torrent as baseTorrent } from '../testing/peers.js';
import { startNatsServer } from '../testing/nats-server.js';

/*
 * Transmission RPC through the real api app (`inject`) against a real nats-server, with a
 * stand-in engine built from the real contracts that records what it is asked. The real
 * transmission-remote against real engines is in test/src/integration/transmission-remote.test.ts.
 */

const H1 = '3f786850e387550fdab836ed7e6dc881de23001b';
const H2 = '2b66fd261ee5c6cfc8de7fa466bab600bcfe4f69';
const H3 = 'cccccccccccccccccccccccccccccccccccccccc';
const TOKEN = 'correct-horse-battery-staple';
const log = createLogger('transmission-test', 'silent');

const torrent = (over: Partial<TorrentStatus> = {}): TorrentStatus =>
  baseTorrent({
    size: 1000,
    uploaded: 0,
    files: [
      { path: 'holiday/a', size: 600, wanted: true, priority: 'normal', downloaded: 600 },
      { path: 'holiday/b', size: 400, wanted: true, priority: 'normal', downloaded: 400 },
    ],
    ...over,
  });

let nats: { url: string; stop(): Promise<void> };
let peerNc: NatsConnection;
let apiNc: NatsConnection;
let engineHost: ServiceHost;
let app: FastifyInstance;
let tmp: string;
/** The stand-in engine's one share root (below tmp; tmp itself is outside it). */
let shares: string;
/** What the stand-in engine holds (its `engine.list`). */
const held = new Map<string, TorrentStatus>();
const calls: { command: string; request: unknown }[] = [];
const callsOf = (command: string) => calls.filter((c) => c.command === command).map((c) => c.request);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bitween-tr-files-'));
  shares = join(tmp, 'shares');
  await mkdir(shares);
  nats = await startNatsServer();
  peerNc = await connectNats(nats.url, 'test-peers', log);
  apiNc = await connectNats(nats.url, 'test-api', log);
  const registry = await EngineRegistry.open(peerNc, log);
  await registry.announce({
    engineId: 'e1',
    version: '0.1.0',
    endpoints: [{ address: '127.0.0.1', port: 6881 }],
    torrents: [],
    heartbeatMs: 60_000,
    downloadDir: '/srv/downloads',
  });
  held.set(H1, torrent());
  held.set(
    H2,
    torrent({
      hash: H2,
      name: 'movie',
      state: 'downloading',
      progress: 0.5,
      done: false,
      downloadSpeed: 10,
      addedAt: 1_700_000_001_000,
    }),
  );

  engineHost = await ServiceHost.start(new Bus(peerNc, log), { name: serviceNames.engine, version: '0.1.0' });
  const record = (command: string, request: unknown) => calls.push({ command, request });
  const instance = { params: { engineId: 'e1' } };
  engineHost.serve(engine.list, () => ({ torrents: [...held.values()] }), instance);
  engineHost.serve(engine.addHash, (req) => {
    record('addHash', req);
    const t = torrent({
      hash: req.hash,
      name: null,
      size: null,
      files: [],
      state: 'metadata',
      progress: 0,
      done: false,
      addedAt: Date.now(),
    });
    held.set(req.hash, t);
    return { torrent: t, created: true };
  });
  engineHost.serve(engine.addTorrentFile, (req) => {
    record('addTorrentFile', req);
    const bytes = Buffer.from(req.metainfo, 'base64');
    if (bytes.toString() !== 'd4:infod4:name3:newee') {
      // What parse-torrent says of a file that is no torrent: it quotes the first byte.
      throw new BusError('invalid_request', `not a valid .torrent: not a number: buffer[0] = ${bytes[0]}`);
    }
    const t = torrent({ hash: H3, name: 'new', addedAt: Date.now() });
    const created = !held.has(H3);
    held.set(H3, t);
    return { torrent: t, created };
  });
  engineHost.serve(
    engine.pause,
    ({ hash }) => {
      record('pause', hash);
      const t = { ...held.get(hash)!, state: 'paused' as const };
      held.set(hash, t);
      return { torrent: t };
    },
    instance,
  );
  engineHost.serve(
    engine.remove,
    (req) => {
      record('remove', req);
      held.delete(req.hash);
      return { removed: true as const };
    },
    instance,
  );
  engineHost.serve(
    engine.setFiles,
    (req) => {
      record('setFiles', req);
      return { torrent: held.get(req.hash)! };
    },
    instance,
  );
  engineHost.serve(
    engine.setOptions,
    (req) => {
      record('setOptions', req);
      const t = { ...held.get(req.hash)!, ...(req.labels ? { labels: req.labels } : {}) };
      held.set(req.hash, t);
      return { torrent: t };
    },
    instance,
  );
  engineHost.serve(
    engine.setLimits,
    (req) => {
      record('setLimits', req);
      return { torrent: held.get(req.hash)! };
    },
    instance,
  );
  // engine.browse as the engine answers it: a folder only below the share root, after symlinks.
  engineHost.serve(engine.browse, async ({ path }) => {
    const root = await realpath(shares);
    const real = await realpath(path ?? root).catch(() => {
      throw new BusError('not_found', `${path} does not exist`);
    });
    const rel = relative(root, real);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new BusError('failed', `${path} is outside the share roots`);
    return { path: path ?? null, parent: null, roots: [shares], entries: [], truncated: false };
  });
  // engine.resume is deliberately not served: an engine without it must give a clear result text.

  app = await newApp();
});

afterAll(async () => {
  await app?.close();
  await engineHost?.stop();
  await apiNc?.close();
  await peerNc?.close();
  await nats?.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** The real app on the test's NATS, its API key TOKEN. */
async function newApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const withTimeout = { BITWEEN_DEFAULT_TIMEOUT_MS: '3000', ...env };
  return buildApp(overNats(await natsAppDeps(apiNc, { log, apiKey: TOKEN, env: withTimeout })));
}

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
let sessionId = '';

interface TrAnswer {
  result: string;
  arguments: Record<string, unknown>;
  tag?: number;
}

/** One call the way a Transmission client makes it: handshake on 409, then the real request. */
async function tr(
  target: FastifyInstance,
  method: string,
  args?: Record<string, unknown>,
  tag?: number,
): Promise<TrAnswer> {
  const send = () =>
    target.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: {
        authorization: basic(TOKEN),
        'x-transmission-session-id': sessionId,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: JSON.stringify({
        method,
        ...(args ? { arguments: args } : {}),
        ...(tag === undefined ? {} : { tag }),
      }),
    });
  let res = await send();
  if (res.statusCode === 409) {
    sessionId = String(res.headers['x-transmission-session-id']);
    res = await send();
  }
  expect(res.statusCode).toBe(200);
  return res.json<TrAnswer>();
}

type Row = Record<string, unknown>;
const torrents = (a: TrAnswer) => a.arguments['torrents'] as Row[];

describe('handshake and auth', () => {
  it('asks for Basic auth first (the API key is the password)', async () => {
    const none = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      payload: '{"method":"session-get"}',
    });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="bitween"');
    const wrong = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { authorization: basic('not-the-token-at-all') },
      payload: '{"method":"session-get"}',
    });
    expect(wrong.statusCode).toBe(401);
    // The api's other ways of sending the key pass too; the handshake comes next.
    const bearer = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: '{"method":"session-get"}',
    });
    expect(bearer.statusCode).toBe(409);
  });

  it('answers 409 with the session id until the client echoes it, then serves', async () => {
    const first = await app.inject({
      method: 'POST',
      url: '/transmission/rpc/',
      headers: { authorization: basic(TOKEN) },
      payload: '{"method":"session-get"}',
    });
    expect(first.statusCode).toBe(409);
    const id = first.headers['x-transmission-session-id'];
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // No rpc-version header: transmission-remote 4.1 would switch to its JSON-RPC dialect.
    expect(first.headers['x-transmission-rpc-version']).toBeUndefined();
    const stale = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { authorization: basic(TOKEN), 'x-transmission-session-id': 'old' },
      payload: '{"method":"session-get"}',
    });
    expect(stale.statusCode).toBe(409);
    const second = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { authorization: basic(TOKEN), 'x-transmission-session-id': String(id) },
      payload: '{"method":"session-get","tag":7}',
    });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ result: 'success', tag: 7, arguments: { 'session-id': id } });
  });

  it('runs nothing without the session id: a 409 carries no data (the CSRF guard of remembered Basic credentials)', async () => {
    const before = calls.length;
    for (const [method, args] of [
      ['torrent-remove', { ids: [H1], 'delete-local-data': true }],
      ['torrent-stop', { ids: [H1] }],
      ['torrent-add', { filename: `magnet:?xt=urn:btih:${'e'.repeat(40)}` }],
      ['session-set', { 'speed-limit-down': 1, 'speed-limit-down-enabled': true }],
      ['torrent-get', { fields: ['name'] }],
    ] as const) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
        const res = await app.inject({
          method: 'POST',
          url: '/transmission/rpc',
          headers: { authorization: basic(TOKEN), 'content-type': type },
          payload: JSON.stringify({ method, arguments: args }),
        });
        expect(res.statusCode).toBe(409);
        const body = res.json<TrAnswer & { code: string }>();
        expect(body).toMatchObject({ code: 'conflict', arguments: {} });
        expect(res.body).not.toContain(String(res.headers['x-transmission-session-id']));
        expect(res.body).not.toContain('holiday');
      }
    }
    expect(calls.length).toBe(before);
    expect(held.has(H1)).toBe(true);
  });

  it('gives a clear result for unknown methods, bad arguments and bad JSON', async () => {
    expect(await tr(app, 'torrent-frobnicate', {}, 3)).toEqual({
      result: 'method name not recognized',
      arguments: {},
      tag: 3,
    });
    expect((await tr(app, 'torrent-get', { ids: { a: 1 } })).result).toMatch(/^invalid arguments: ids/);
    const bad = await app.inject({
      method: 'POST',
      url: '/transmission/rpc',
      headers: { authorization: basic(TOKEN), 'x-transmission-session-id': sessionId },
      payload: '{"method":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<TrAnswer>().result).toMatch(/^invalid JSON/);
  });
});

describe('session', () => {
  it('session-get: rpc versions frontends check, the engine settings, only the fields asked for', async () => {
    const all = await tr(app, 'session-get');
    expect(all.arguments).toMatchObject({
      'rpc-version': 17,
      'rpc-version-minimum': 14,
      version: '4.0.0 (bitween 9.9.9)',
      'peer-port': 6881,
      // The engine's own download dir (its registry entry): Sonarr adds below `<download-dir>/<category>`.
      'download-dir': '/srv/downloads',
      'speed-limit-down-enabled': false,
      'dht-enabled': false,
    });
    const some = await tr(app, 'session-get', { fields: ['rpc-version', 'version', 'nonsense'] });
    expect(some.arguments).toEqual({ 'rpc-version': 17, version: '4.0.0 (bitween 9.9.9)' });
  });

  it("session-get's version parses the way Sonarr and Radarr read it: at least 2.40 (and 4.0: labels)", async () => {
    // TransmissionBase.HasClientVersion / Transmission.ValidateVersion: the first number that is not
    // in parentheses, through System.Version (major.minor[.build]).
    const { version } = (await tr(app, 'session-get', { fields: ['version'] })).arguments as {
      version: string;
    };
    const picked = /(?<!\(|(\d|\.)+)(\d|\.)+(?!\)|(\d|\.)+)/.exec(version)?.[0] ?? '';
    const [major = 0, minor = 0] = picked.split('.').map(Number);
    expect(major * 100 + minor).toBeGreaterThanOrEqual(240);
    expect(major).toBeGreaterThanOrEqual(4);
    expect(version).toMatch(/\(bitween 9\.9\.9\)$/);
  });

  it('session-set writes the speed limits and queue to the settings bucket; session-get reads them back', async () => {
    const set = await tr(app, 'session-set', {
      'speed-limit-down': 300,
      'speed-limit-down-enabled': true,
      'download-queue-enabled': true,
      'download-queue-size': 2,
    });
    expect(set.result).toBe('success');
    const stored = await (await SettingsStore.open(peerNc, log)).engine();
    expect(stored).toEqual({ downloadLimit: 300_000, uploadLimit: null, maxActiveDownloads: 2 });
    expect(
      (
        await tr(app, 'session-get', {
          fields: ['speed-limit-down', 'speed-limit-down-enabled', 'download-queue-size'],
        })
      ).arguments,
    ).toEqual({
      'speed-limit-down': 300,
      'speed-limit-down-enabled': true,
      'download-queue-size': 2,
    });
    await tr(app, 'session-set', { 'speed-limit-down-enabled': false, 'download-queue-enabled': false });
  });

  it("port-test answers from the engines' reachability; session-get says whether ports are mapped", async () => {
    expect((await tr(app, 'port-test')).arguments).toEqual({ 'port-is-open': false });
    expect((await tr(app, 'session-get', { fields: ['port-forwarding-enabled'] })).arguments).toEqual({
      'port-forwarding-enabled': false,
    });
    const registry = await EngineRegistry.open(peerNc, log);
    await registry.announce({
      engineId: 'e1',
      version: '0.1.0',
      endpoints: [{ address: '203.0.113.10', port: 40_001 }],
      torrents: [],
      heartbeatMs: 60_000,
      portMapping: {
        state: 'mapped',
        protocol: 'upnp-igd',
        external: { address: '203.0.113.10', port: 40_001 },
        internalPort: 6881,
        expiresAt: Date.now() + 3_600_000,
        lastError: null,
        since: Date.now(),
      },
      reachability: {
        verdict: 'mapped',
        publicAddresses: ['203.0.113.10'],
        ipv6: [],
        stun: false,
        turn: false,
        since: Date.now(),
      },
    });
    try {
      expect((await tr(app, 'port-test')).arguments).toEqual({ 'port-is-open': true });
      expect((await tr(app, 'port-test', { ip_protocol: 'ipv4' })).arguments).toEqual({
        'port-is-open': true,
        ip_protocol: 'ipv4',
      });
      expect((await tr(app, 'port-test', { ip_protocol: 'ipv6' })).arguments).toMatchObject({
        'port-is-open': false,
      });
      expect((await tr(app, 'port-test', { ip_protocol: 'ipx' })).result).toMatch(/ip_protocol/);
      expect((await tr(app, 'session-get', { fields: ['port-forwarding-enabled'] })).arguments).toEqual({
        'port-forwarding-enabled': true,
      });
    } finally {
      await registry.announce({
        engineId: 'e1',
        version: '0.1.0',
        endpoints: [{ address: '127.0.0.1', port: 6881 }],
        torrents: [],
        heartbeatMs: 60_000,
      });
    }
  });

  it('session-stats sums over the torrents', async () => {
    expect((await tr(app, 'session-stats')).arguments).toMatchObject({
      torrentCount: held.size,
      downloadSpeed: 10,
      activeTorrentCount: 1,
    });
  });
});

describe('torrents', () => {
  let id1 = 0;
  let id2 = 0;

  it('torrent-get lists every torrent with stable numeric ids (older torrents lower)', async () => {
    const list = torrents(
      await tr(app, 'torrent-get', { fields: ['id', 'hashString', 'name', 'status', 'percentDone'] }),
    );
    expect(list).toEqual([
      { id: expect.any(Number) as unknown, hashString: H1, name: 'holiday', status: 6, percentDone: 1 },
      { id: expect.any(Number) as unknown, hashString: H2, name: 'movie', status: 4, percentDone: 0.5 },
    ]);
    id1 = list[0]!['id'] as number;
    id2 = list[1]!['id'] as number;
    expect(id2).toBeGreaterThan(id1);
    expect(id1).toBeGreaterThan(0);
  });

  it('keeps the ids across an api restart (a second app on the same NATS)', async () => {
    const other = await newApp();
    try {
      // Its own session id: the client gets one 409 and carries on.
      const list = torrents(await tr(other, 'torrent-get', { fields: ['id', 'hashString'] }));
      expect(list).toEqual([
        { id: id1, hashString: H1 },
        { id: id2, hashString: H2 },
      ]);
    } finally {
      await other.close();
      sessionId = ''; // back to the first app: handshake again
    }
  });

  it('torrent-get selects by number, by hash, by list and recently-active; table format', async () => {
    const pick = async (ids: unknown) =>
      torrents(await tr(app, 'torrent-get', { ids, fields: ['hashString'] })).map((t) => t['hashString']);
    expect(await pick(id2)).toEqual([H2]);
    expect(await pick(H1.toUpperCase())).toEqual([H1]);
    expect(await pick([id1, H2, 424242])).toEqual([H1, H2]);
    const recent = await tr(app, 'torrent-get', { ids: 'recently-active', fields: ['hashString'] });
    expect(torrents(recent)).toEqual([{ hashString: H2 }]);
    expect(recent.arguments['removed']).toEqual([]);
    const table = await tr(app, 'torrent-get', { ids: [id1], fields: ['id', 'name'], format: 'table' });
    expect(table.arguments['torrents']).toEqual([
      ['id', 'name'],
      [id1, 'holiday'],
    ]);
  });

  it('torrent-add with a magnet asks an engine for the hash (with its trackers), names it by its dn; the same again is a duplicate', async () => {
    const magnet = `magnet:?xt=urn:btih:${'d'.repeat(40)}&dn=x&tr=udp%3A%2F%2Ftracker.example%3A80`;
    const added = await tr(app, 'torrent-add', { filename: magnet, 'download-dir': '/srv/in' });
    expect(added.result).toBe('success');
    expect(added.arguments['torrent-added']).toEqual({
      id: expect.any(Number) as unknown,
      name: 'x',
      hashString: 'd'.repeat(40),
    });
    expect(callsOf('addHash').at(-1)).toEqual({
      hash: 'd'.repeat(40),
      savePath: '/srv/in',
      trackers: ['udp://tracker.example:80'],
    });
    const again = await tr(app, 'torrent-add', { filename: magnet });
    expect(again.arguments['torrent-duplicate']).toMatchObject({ hashString: 'd'.repeat(40) });
    expect(callsOf('addHash')).toHaveLength(1);
  });

  it('torrent-add with metainfo or a .torrent path sends the file to engine.add-torrent-file', async () => {
    const metainfo = Buffer.from('d4:infod4:name3:newee').toString('base64');
    const added = await tr(app, 'torrent-add', { metainfo });
    expect(added.arguments['torrent-added']).toMatchObject({ name: 'new', hashString: H3 });
    expect(callsOf('addTorrentFile').at(-1)).toEqual({ metainfo });
    const file = join(shares, 'new.torrent');
    await writeFile(file, 'd4:infod4:name3:newee');
    const dup = await tr(app, 'torrent-add', { filename: file });
    expect(dup.arguments['torrent-duplicate']).toMatchObject({ hashString: H3 });
    // A symlink inside the root to a file inside it is fine.
    await symlink(file, join(shares, 'link.torrent'));
    expect((await tr(app, 'torrent-add', { filename: join(shares, 'link.torrent') })).result).toBe('success');
  });

  it('torrent-add reads a local path only below the share roots, with one answer for every refusal', async () => {
    await writeFile(join(tmp, 'outside.torrent'), 'd4:infod4:name3:newee');
    await symlink('/etc/passwd', join(shares, 'passwd.torrent'));
    await mkdir(join(shares, 'folder.torrent'));
    await writeFile(join(shares, 'passwd-copy.torrent'), 'root:x:0:0:root:/root:/bin/bash\n');
    const before = callsOf('addTorrentFile').length;
    for (const path of [
      '/etc/shadow',
      '/etc/passwd',
      '/proc/self/environ',
      '/dev/zero',
      join(tmp, 'outside.torrent'),
      join(shares, 'missing.torrent'),
      join(shares, 'passwd.torrent'),
      join(shares, 'folder.torrent'),
      join(shares, 'no-such-folder', 'x.torrent'),
      join(shares, '..', 'outside.torrent'),
    ]) {
      const { result } = await tr(app, 'torrent-add', { filename: path });
      expect(result, path).toBe(
        `cannot add ${path}: not a readable .torrent file below the share roots (files elsewhere are never read)`,
      );
    }
    expect(callsOf('addTorrentFile').length).toBe(before);
    // A file below the root that is no torrent: the engine's parse error is not quoted (it quotes bytes).
    const junk = await tr(app, 'torrent-add', { filename: join(shares, 'passwd-copy.torrent') });
    expect(junk.result).toBe('invalid or corrupt torrent file');
    // The caller's own bytes may be quoted back.
    const own = await tr(app, 'torrent-add', { metainfo: Buffer.from('junk').toString('base64') });
    expect(own.result).toMatch(/^invalid or corrupt torrent file: not a valid \.torrent: .*106/);
  });

  describe('torrent-add of a URL', () => {
    let server: Server;
    let base: string;
    const hits: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits.push(req.url ?? '');
        if (req.url === '/new.torrent') res.end('d4:infod4:name3:newee');
        else if (req.url === '/to-metadata') {
          res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        } else res.writeHead(404).end('not here: internal-secret');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('refuses 127.0.0.1 (and any address a stranger could not reach) without BITWEEN_FETCH_ALLOW', async () => {
      const { result } = await tr(app, 'torrent-add', { filename: `${base}/new.torrent` });
      expect(result).toMatch(/^refused to fetch .*127\.0\.0\.1 is a loopback address/);
      expect(hits).toEqual([]);
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://localhost:22/',
        'http://[::1]:5000/',
      ]) {
        expect((await tr(app, 'torrent-add', { filename: url })).result, url).toMatch(/^refused to fetch/);
      }
    });

    it('fetches from an allow-listed address; redirects are checked, remote statuses not reflected', async () => {
      const allowing = await newApp({ BITWEEN_FETCH_ALLOW: '127.0.0.1' });
      try {
        const added = await tr(allowing, 'torrent-add', { filename: `${base}/new.torrent` });
        expect(added.arguments).toHaveProperty('torrent-duplicate');
        expect(hits).toEqual(['/new.torrent']);
        const redirected = await tr(allowing, 'torrent-add', { filename: `${base}/to-metadata` });
        expect(redirected.result).toMatch(/redirects to http:\/\/169\.254\.169\.254.*link-local/);
        const missing = await tr(allowing, 'torrent-add', { filename: `${base}/nope` });
        expect(missing.result).toBe(`could not fetch ${base}/nope`);
        // Not in the message besides the URL, whose random port may hold "404".
        expect(missing.result.replace(`${base}/nope`, '<url>')).not.toMatch(/404|secret/);
      } finally {
        await allowing.close();
      }
    });
  });

  it('torrent-add refuses a corrupt file, a missing path, a relative path or nothing at all', async () => {
    expect(
      (await tr(app, 'torrent-add', { metainfo: Buffer.from('junk').toString('base64') })).result,
    ).toMatch(/^invalid or corrupt torrent file/);
    expect((await tr(app, 'torrent-add', { filename: join(shares, 'missing.torrent') })).result).toMatch(
      /^cannot add .*missing\.torrent: not a readable \.torrent file/,
    );
    expect((await tr(app, 'torrent-add', { filename: 'a.torrent' })).result).toMatch(/absolute path/);
    expect((await tr(app, 'torrent-add', {})).result).toBe('no filename or metainfo specified');
    expect(
      (await tr(app, 'torrent-add', { filename: `magnet:?xt=urn:btih:${H1}`, 'download-dir': 'rel' })).result,
    ).toMatch(/download-dir/);
  });

  it('torrent-stop pauses on the owning engine; torrent-start says clearly that the engine cannot resume', async () => {
    expect((await tr(app, 'torrent-stop', { ids: [id1] })).result).toBe('success');
    expect(callsOf('pause')).toEqual([H1]);
    expect(torrents(await tr(app, 'torrent-get', { ids: id1, fields: ['status'] }))).toEqual([{ status: 0 }]);
    const start = await tr(app, 'torrent-start', { ids: [id1] });
    expect(start.result).toMatch(/^torrent-start: service unavailable: nobody answers engine\.resume/);
  });

  it('torrent-set maps file selection and kB/s limits onto the engine contracts', async () => {
    expect(
      (
        await tr(app, 'torrent-set', {
          ids: [id1],
          'files-unwanted': [1],
          downloadLimit: 100,
          downloadLimited: true,
          uploadLimited: false,
        })
      ).result,
    ).toBe('success');
    expect(callsOf('setFiles').at(-1)).toEqual({ hash: H1, files: [{ index: 1, wanted: false }] });
    expect(callsOf('setLimits').at(-1)).toEqual({ hash: H1, downloadLimit: 100_000, uploadLimit: null });
    expect((await tr(app, 'torrent-set', { ids: [id1], 'files-wanted': [5] })).result).toMatch(
      /file index 5 out of range/,
    );
    expect(
      (await tr(app, 'torrent-set', { ids: [id1], 'priority-high': [1], 'priority-low': [0] })).result,
    ).toBe('success');
    expect(callsOf('setFiles').at(-1)).toEqual({
      hash: H1,
      files: [
        { index: 1, priority: 'high' },
        { index: 0, priority: 'low' },
      ],
    });
  });

  it('torrent-remove passes delete-local-data; recently-active then reports the id as removed', async () => {
    expect((await tr(app, 'torrent-remove', { ids: [id2], 'delete-local-data': true })).result).toBe(
      'success',
    );
    expect(callsOf('remove').at(-1)).toEqual({ hash: H2, deleteData: true });
    const recent = await tr(app, 'torrent-get', { ids: 'recently-active', fields: ['id'] });
    expect(recent.arguments['removed']).toEqual([id2]);
    // A new torrent for an old hash would get its old id back: ids are never reused for another hash.
    expect(torrents(await tr(app, 'torrent-get', { fields: ['id'] })).map((t) => t['id'])).not.toContain(id2);
  });

  it('GET /v1/torrents serves the same cached listing as JSON text, current after a change', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/torrents', headers: { 'x-api-key': TOKEN } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { torrents } = res.json<{ torrents: TorrentStatus[] }>();
    expect(torrents.map((t) => t.hash).sort()).toEqual([...held.keys()].sort());
    expect(torrents.find((t) => t.hash === H1)).toEqual(held.get(H1));
  });

  it('methods bitween does not have answer with a reason', async () => {
    expect((await tr(app, 'session-close')).result).toMatch(/^method name not recognized \(.*not supported/);
    // @ctrl/transmission renamePath: never a success, nothing asked of the engine.
    const before = calls.length;
    expect(
      (await tr(app, 'torrent-rename-path', { ids: [H1], path: 'holiday/a', name: 'b' })).result,
    ).toMatch(/^method name not recognized \(torrent-rename-path/);
    expect(calls.length).toBe(before);
  });

  it('never a silent success: arguments bitween does not honour are refused unless they change nothing', async () => {
    // A preferences dialog that sends back what session-get said changes nothing: accepted.
    expect((await tr(app, 'session-set', { 'dht-enabled': false, 'pex-enabled': false })).result).toBe(
      'success',
    );
    for (const [name, value] of [
      ['dht-enabled', true],
      ['download-dir', '/elsewhere'],
      ['peer-port', 1],
      ['blocklist-enabled', true],
      ['cache-size-mb', 64],
    ] as const) {
      expect((await tr(app, 'session-set', { [name]: value })).result).toMatch(
        new RegExp(`^Invalid argument: ${name} \\(`),
      );
    }
    // torrent-set: nothing is applied when one argument is refused.
    const before = callsOf('setLimits').length;
    expect(
      (
        await tr(app, 'torrent-set', {
          ids: [id1],
          uploadLimit: 5,
          uploadLimited: true,
          trackerAdd: ['http://t/a'],
        })
      ).result,
    ).toMatch(/^Invalid argument: trackerAdd/);
    expect(callsOf('setLimits').length).toBe(before);
    expect((await tr(app, 'torrent-set', { ids: [id1], bandwidthPriority: 1 })).result).toMatch(
      /^Invalid argument: bandwidthPriority/,
    );
    // The queue moves exist (queue-move-*): the refusal of an absolute position names them.
    expect((await tr(app, 'torrent-set', { ids: [id1], queuePosition: 5 })).result).toMatch(
      /^Invalid argument: queuePosition \(.*use queue-move-top/,
    );
    expect((await tr(app, 'torrent-set', { ids: [id1], bandwidthPriority: 0, trackerAdd: [] })).result).toBe(
      'success',
    );
    expect(
      (await tr(app, 'torrent-add', { filename: `magnet:?xt=urn:btih:${'e'.repeat(40)}`, cookies: 'a=b' }))
        .result,
    ).toMatch(/^Invalid argument: cookies/);
  });

  it('torrent-add as Sonarr and Radarr send it: download-dir, paused and their category as a label', async () => {
    const hash = 'f'.repeat(40);
    const added = await tr(app, 'torrent-add', {
      filename: `magnet:?xt=urn:btih:${hash}&dn=Show.S01E01`,
      paused: true,
      'download-dir': '/srv/downloads/tv-sonarr',
      labels: ['tv-sonarr'],
    });
    expect(added.result).toBe('success');
    expect(callsOf('addHash').at(-1)).toEqual({ hash, savePath: '/srv/downloads/tv-sonarr' });
    expect(callsOf('setOptions').at(-1)).toEqual({ hash, labels: ['tv-sonarr'] });
    expect(callsOf('pause').at(-1)).toBe(hash);
    const [t] = torrents(await tr(app, 'torrent-get', { ids: [hash], fields: ['labels', 'status'] }));
    expect(t).toEqual({ labels: ['tv-sonarr'], status: 0 });
    expect(
      (await tr(app, 'torrent-add', { filename: `magnet:?xt=urn:btih:${'9'.repeat(40)}`, labels: ['a,b'] }))
        .result,
    ).toMatch(/labels/);
    expect(callsOf('addHash').some((c) => (c as { hash: string }).hash === '9'.repeat(40))).toBe(false);
  });
});
