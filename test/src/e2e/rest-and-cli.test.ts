import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  cli,
  repoRoot,
  runCli,
  RestError,
  sha256File,
  startFriends,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
} from '../harness/index.js';

/*
 * The REST api (/v1), its event stream and the `bitween` CLI against two real bitween nodes
 * (real nats-server, Prosody, engines, gateways, api processes) and a real BitTorrent transfer.
 */

const CLI = join(repoRoot, 'apps', 'cli', 'dist', 'main.js');
const run = promisify(execFile);

/** The first file named `file` under `dir` (any depth). */
async function findFile(dir: string, file: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true });
  const hit = entries.find((e) => e === file || e.endsWith(`/${file}`));
  if (!hit) throw new Error(`${file} not found under ${dir}`);
  return join(dir, hit);
}

async function cliJson<T>(node: BitweenNode, ...args: string[]): Promise<T> {
  return JSON.parse(await cli(node, '--json', ...args)) as T;
}

interface Torrent {
  hash: string;
  name: string | null;
  state: string;
  progress: number;
  done: boolean;
  savePath: string;
}
interface Page {
  firstId: number;
  lastId: number;
  missed: number;
  events: { id: number; type: string; hash?: string; data: Record<string, unknown> }[];
}

describe('REST api, events and the bitween CLI end to end', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  const name = 'concert.bin';
  let hash = '';
  let sha256 = '';

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'rest' }));
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
  });

  afterAll(() => cleanup.run());

  it('the api generated its key in the data dir and logged it once; the CLI prints it', async () => {
    expect(alice.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const logged = alice.api.logs.filter((l) => l['apiKey'] === alice.apiKey);
    expect(logged).toHaveLength(1);
    expect((await runCli(alice, 'api-key')).stdout.trim()).toBe(alice.apiKey);
  });

  it('refuses requests without the key (REST, JSON-RPC, CLI) but leaves /health open', async () => {
    const res = await fetch(`${alice.apiUrl}/v1/torrents`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    const rpc = await fetch(`${alice.apiUrl}/api`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bt.get_torrents' }),
    });
    expect(rpc.status).toBe(401);
    expect((await fetch(`${alice.apiUrl}/health`)).status).toBeLessThan(600);
    const wrong = await run(process.execPath, [
      CLI,
      '--url',
      alice.apiUrl,
      '--api-key',
      'not-the-key-at-all',
      'list',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(wrong).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^bitween: unauthorized: wrong API key/) as unknown,
    });
  });

  it('bitween status shows the daemon logged in with a live engine', async () => {
    const status = await waitFor(
      async () => {
        const s = await cliJson<{ xmpp: { online?: boolean }; engines: unknown[] }>(alice, 'status');
        return s.xmpp.online && Array.isArray(s.engines) && s.engines.length > 0 ? s : null;
      },
      { what: 'alice status online with an engine' },
    );
    expect(status).toMatchObject({ nats: 'connected', torrents: { total: 0 } });
    const text = await runCli(alice, 'status');
    expect(text.stdout).toMatch(/xmpp: +online as alice@localhost/);
  });

  it('bitween reachability: an engine on loopback, no port mapping, no STUN/TURN server is unreachable', async () => {
    interface Reach {
      engineId: string;
      reachability: { verdict: string; stun: boolean; turn: boolean; publicAddresses: string[] } | null;
      portMapping: { state: string } | null;
    }
    // `unknown` until the engine has asked the gateway for STUN/TURN servers once.
    const [engine] = await waitFor(
      async () => {
        const engines = await cliJson<Reach[]>(alice, 'reachability');
        return engines.length > 0 && engines.every((e) => e.reachability?.verdict !== 'unknown')
          ? engines
          : null;
      },
      { what: "alice's engine worked out its reachability" },
    );
    expect(engine).toMatchObject({
      reachability: { verdict: 'unreachable', stun: false, turn: false, publicAddresses: [] },
      portMapping: { state: 'off' },
    });
    const text = await runCli(alice, 'reachability');
    expect(text.stdout).toContain(`${engine!.engineId}: Not reachable: no STUN/TURN server known`);
    expect(text.stdout).toMatch(/port mapping: +off \(BITWEEN_PORT_MAPPING=off\)/);
    expect((await runCli(alice, 'status')).stdout).toMatch(/reach: +\S+: Not reachable/);
  });

  it('alice shares a file with `bitween share` and lists it', async () => {
    const path = join(alice.dirs.shares, name);
    sha256 = await writeRandomFile(path, 4 * 1024 * 1024);
    const added = await cliJson<{ created: boolean; torrent: Torrent }>(alice, 'share', path);
    expect(added).toMatchObject({ created: true, torrent: { name, state: 'seeding', progress: 1 } });
    hash = added.torrent.hash;
    const list = await cliJson<Torrent[]>(alice, 'list');
    expect(list.map((t) => t.hash)).toEqual([hash]);
    expect((await runCli(alice, 'list')).stdout).toMatch(new RegExp(`${hash} +seeding +100\\.0% +4\\.0 MiB`));
    // The REST resource says the same.
    expect(await alice.rest.get(`/v1/torrents/${hash}`)).toMatchObject({ hash, name, done: true });
  });

  it("bob finds it by searching his friends' shares (REST and CLI) and in alice's list", async () => {
    const found = await waitFor(
      async () =>
        (await bob.rest.get<{ shares: { hash: string }[] }>('/v1/search?q=CONCERT')).shares.find(
          (s) => s.hash === hash,
        ),
      { what: "alice's share to be searchable at bob" },
    );
    expect(found).toMatchObject({
      hash,
      name,
      size: 4 * 1024 * 1024,
      sources: [{ jid: alice.jid, resource: expect.stringMatching(/^bitween/) as unknown, online: true }],
    });
    const contact = await bob.rest.get<{ resources: { shares: { hash: string }[] }[] }>(
      `/v1/contacts/${alice.jid}/shares`,
    );
    expect(contact.resources[0]?.shares.map((s) => s.hash)).toContain(hash);
    const shares = await runCli(bob, 'shares', '--search', 'concert');
    expect(shares.stdout).toContain(hash);
    expect(shares.stdout).toContain(alice.jid);
    expect((await cliJson<unknown[]>(bob, 'shares', '--search', 'no-such-name')).length).toBe(0);
  });

  let eventsBefore = 0;
  it('bob downloads it with `bitween get --dest`; the event stream and `bitween watch` show the progress', async () => {
    eventsBefore = (await bob.rest.get<Page>('/v1/events?timeout=0&limit=1')).lastId;
    // `bitween watch --json` prints one event per line.
    const watch = spawn(process.execPath, [CLI, '--json', 'watch'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        BITWEEN_API_URL: bob.apiUrl,
        BITWEEN_DATA_DIR: bob.dirs.apiData,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.add('bitween watch', () => watch.kill());
    const watched: { type: string; hash?: string; data: { done?: boolean } }[] = [];
    createInterface({ input: watch.stdout }).on('line', (line) =>
      watched.push(JSON.parse(line) as (typeof watched)[number]),
    );

    // A folder of its own, below the download dir (saving is allowed below it and the share roots).
    const dest = join(bob.dirs.downloads, 'from-alice');
    const got = await cliJson<{ created: boolean; torrent: Torrent }>(
      bob,
      'get',
      hash.toUpperCase(),
      '--dest',
      dest,
    );
    expect(got).toMatchObject({ created: true, torrent: { hash, savePath: dest } });
    await waitFor(async () => (await bob.rest.get<Torrent>(`/v1/torrents/${hash}`)).done, {
      what: 'bob to finish the download',
      timeoutMs: 120_000,
    });
    expect(await sha256File(join(dest, name))).toBe(sha256);
    // Asking again is a no-op.
    expect((await cliJson<{ created: boolean }>(bob, 'get', hash)).created).toBe(false);

    const page = await waitFor(
      async () => {
        const p = await bob.rest.get<Page>(`/v1/events?since=${eventsBefore}&timeout=5&limit=1000`);
        return p.events.some(
          (e) => e.type === 'torrent.progress' && e.hash === hash && e.data['done'] === true,
        )
          ? p
          : null;
      },
      { what: 'a done progress event in the long poll' },
    );
    expect(page.missed).toBe(0);
    const ids = page.events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => eventsBefore + 1 + i));
    await waitFor(
      () => watched.some((e) => e.type === 'torrent.progress' && e.hash === hash && e.data.done === true),
      {
        what: '`bitween watch --json` to print the done progress event',
      },
    );
    watch.kill('SIGINT');
  });

  it('event ids survive an api restart: a client resumes after its last id', async () => {
    const { lastId } = await bob.rest.get<Page>('/v1/events?timeout=0&limit=1');
    await bob.api.stop();
    await bob.restart('api');
    // Alice shares another file: bob's gateway announces her new list as an event.
    const second = join(alice.dirs.shares, 'encore.bin');
    await writeRandomFile(second, 64 * 1024);
    expect((await cliJson<{ created: boolean }>(alice, 'share', second)).created).toBe(true);
    const next = await waitFor(
      async () => {
        const p = await bob.rest.get<Page>(`/v1/events?since=${lastId}&timeout=10&limit=1000`);
        return p.events.some(
          (e) => e.type === 'xmpp.contact-shares' && JSON.stringify(e.data).includes('encore.bin'),
        )
          ? p
          : null;
      },
      { what: "alice's new list as an event at bob, after bob's api restarted" },
    );
    expect(next.missed).toBe(0);
    expect(next.events[0]?.id).toBe(lastId + 1);
    // The ids before the restart are still there.
    const replay = await bob.rest.get<Page>(`/v1/events?since=${eventsBefore}&timeout=0&limit=1`);
    expect(replay.events[0]?.id).toBe(eventsBefore + 1);
  });

  it('bob removes it with `bitween rm`; removing again fails with the reason', async () => {
    const rm = await runCli(bob, 'rm', hash);
    expect(rm).toMatchObject({ code: 0, stdout: `removed ${hash}\n` });
    expect((await cliJson<Torrent[]>(bob, 'list')).map((t) => t.hash)).not.toContain(hash);
    const again = await runCli(bob, 'rm', hash);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`bitween: no torrent with hash ${hash}\n`);
    const err = await bob.rest.get(`/v1/torrents/${hash}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestError);
    expect((err as RestError).status).toBe(404);
  });

  it('alice pauses and resumes her share with the CLI (a real engine)', async () => {
    const paused = await cliJson<Torrent>(alice, 'pause', hash);
    expect(paused).toMatchObject({ hash, state: 'paused' });
    expect(await alice.rest.get(`/v1/torrents/${hash}`)).toMatchObject({ state: 'paused' });
    expect((await runCli(alice, 'resume', hash)).code).toBe(0);
    await waitFor(async () => (await alice.rest.get<Torrent>(`/v1/torrents/${hash}`)).state === 'seeding', {
      what: 'the share to seed again after resume',
    });
  });

  it('sets limits and the file selection over REST (a real engine)', async () => {
    const limited = await alice.rest.request<{ torrent: { uploadLimit: number | null } }>(
      'PATCH',
      `/v1/torrents/${hash}/limits`,
      { uploadLimit: 1024 * 1024 },
    );
    expect(limited.torrent.uploadLimit).toBe(1024 * 1024);
    const unlimited = await alice.rest.request<{ torrent: { uploadLimit: number | null } }>(
      'PATCH',
      `/v1/torrents/${hash}/limits`,
      { uploadLimit: null },
    );
    expect(unlimited.torrent.uploadLimit).toBeNull();
    const files = await alice.rest.request<{ torrent: { files: { path: string; wanted: boolean }[] } }>(
      'PATCH',
      `/v1/torrents/${hash}/files`,
      { files: [{ index: 0, wanted: true }] },
    );
    expect(files.torrent.files).toMatchObject([{ path: name, wanted: true }]);
    const bad = await alice.rest
      .request('PATCH', `/v1/torrents/${hash}/files`, { files: [{ index: 5, wanted: false }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RestError);
    expect((bad as RestError).status).toBe(400);
  });

  it("bob uploads alice's .torrent file, downloads it again, and `rm --delete-data` deletes the file", async () => {
    const { lastId } = await bob.rest.get<Page>('/v1/events?timeout=0&limit=1');
    const stored = await findFile(alice.dirs.state, `${hash}.torrent`);
    // A folder of its own, below the download dir (saving is allowed below it and the share roots).
    const dest = join(bob.dirs.downloads, 'uploaded');
    const res = await fetch(`${bob.apiUrl}/v1/torrents/upload?savePath=${encodeURIComponent(dest)}`, {
      method: 'POST',
      headers: { 'x-api-key': bob.apiKey, 'content-type': 'application/x-bittorrent' },
      body: await readFile(stored),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ created: true, torrent: { hash, savePath: dest } });
    await waitFor(async () => (await bob.rest.get<Torrent>(`/v1/torrents/${hash}`)).done, {
      what: 'bob to finish the download from the uploaded .torrent',
      timeoutMs: 120_000,
    });
    expect(await sha256File(join(dest, name))).toBe(sha256);

    expect((await runCli(bob, 'rm', hash, '--delete-data')).stdout).toBe(`removed ${hash} and its files\n`);
    await waitFor(async () => (await stat(join(dest, name)).catch(() => null)) === null, {
      what: 'the downloaded file to be deleted',
    });
    const page = await waitFor(
      async () => {
        const p = await bob.rest.get<Page>(`/v1/events?since=${lastId}&timeout=5&limit=1000`);
        return p.events.some((e) => e.type === 'torrent.removed') ? p : null;
      },
      { what: 'a torrent.removed event' },
    );
    expect(page.events.find((e) => e.type === 'torrent.added')).toMatchObject({ hash });
    expect(page.events.find((e) => e.type === 'torrent.removed')).toMatchObject({
      hash,
      data: { hash, deleteData: true },
    });
  });

  it('alice adds by hash over REST (a share she already has is not added twice)', async () => {
    const again = await alice.rest.post<{ created: boolean; torrent: Torrent }>('/v1/torrents', { hash });
    expect(again).toMatchObject({ created: false, torrent: { hash, state: 'seeding' } });
  });

  it('the JSON-RPC api keeps working with the key', async () => {
    const { torrents } = await alice.rpc.result<{ torrents: { hash: string }[] }>('bt.get_torrents');
    expect(torrents.map((t) => t.hash)).toContain(hash);
  });
});
