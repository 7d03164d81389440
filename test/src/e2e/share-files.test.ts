import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  RestError,
  startFriends,
  waitFor,
  waitForShare,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type TorrentsResult,
} from '../harness/index.js';

interface ShareFiles {
  hash: string;
  name: string;
  files: { path: string; size: number }[];
  total: number;
  totalFiles: number;
  totalBytes: number;
  truncated: boolean;
  from: 'held' | 'friend';
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The problem+json status a REST call fails with. */
async function statusOf(call: Promise<unknown>): Promise<{ status: number; code: unknown; detail: unknown }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RestError) {
      const body = err.body as { code?: unknown; detail?: unknown };
      return { status: err.status, code: body.code, detail: body.detail };
    }
    throw err;
  }
  throw new Error('the call succeeded');
}

describe("the files inside a friend's share, without downloading it", () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let hash = '';
  /** A share whose list no one fetched yet (its fetch timed out: not cached). */
  let later = '';
  const layout = [
    { path: '01 intro.flac', size: 300_000 },
    { path: 'scans/cover.jpg', size: 70_000 },
    { path: 'scans/back.jpg', size: 1_000 },
  ];
  const filesUrl = (h: string, query = '') =>
    `/v1/friends/${encodeURIComponent(alice.jid)}/shares/${h}/files${query}`;

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob']));
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    const folder = join(alice.dirs.shares, 'Album');
    await mkdir(join(folder, 'scans'), { recursive: true });
    for (const f of layout) await writeRandomFile(join(folder, f.path), f.size);
    expect(await alice.rpc.result('bt.add_path', { path: folder })).toBe(true);
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    hash = torrents.find((t) => t.name === 'Album')!.hash;
    await waitForShare(bob, alice, hash);
  });

  afterAll(() => cleanup.run());

  it("bob lists the files of alice's folder share, fetched from alice's engine", async () => {
    const list = await bob.rest.get<ShareFiles>(filesUrl(hash));
    expect(list).toMatchObject({
      hash,
      name: 'Album',
      total: 3,
      totalFiles: 3,
      totalBytes: layout.reduce((n, f) => n + f.size, 0),
      truncated: false,
      from: 'friend',
    });
    expect([...list.files].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...layout].sort((a, b) => a.path.localeCompare(b.path)),
    );
    expect(
      bob.engine.logs.some((l) => l.msg === 'fetched the file list of a friend’s share' && l.hash === hash),
    ).toBe(true);
  });

  it('pages the list like the other lists', async () => {
    const page = await bob.rest.get<ShareFiles>(filesUrl(hash, '?offset=1&limit=1'));
    expect(page.files).toHaveLength(1);
    expect(page.total).toBe(3);
    const whole = await bob.rest.get<ShareFiles>(filesUrl(hash));
    expect(page.files[0]).toEqual(whole.files[1]);
  });

  it('wrote no data on bob’s side and added no torrent', async () => {
    expect(await filesBelow(bob.dirs.downloads)).toEqual([]);
    expect((await filesBelow(bob.dirs.state)).filter((f) => f.includes(hash))).toEqual([]);
    const { torrents } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
    expect(torrents.map((t) => t.hash)).not.toContain(hash);
  });

  it('answers 404 for a share the friend does not list and for a stranger', async () => {
    expect(await statusOf(bob.rest.get(filesUrl('0'.repeat(40))))).toEqual({
      status: 404,
      code: 'not_found',
      detail: `${alice.jid} does not share ${'0'.repeat(40)}`,
    });
    expect(await statusOf(bob.rest.get(`/v1/friends/nobody%40example.org/shares/${hash}/files`))).toEqual({
      status: 404,
      code: 'not_found',
      detail: 'no share list received from nobody@example.org',
    });
  });

  it('answers from the torrent itself once bob holds it', async () => {
    await bob.rest.post('/v1/torrents', { hash });
    // (The engine waits for the download's metadata, then answers from it, not from its cache.)
    const list = await bob.rest.get<ShareFiles>(filesUrl(hash));
    expect(list).toMatchObject({ from: 'held', totalFiles: 3, truncated: false });
  });

  it('a download of the share while its list is being fetched goes ahead (the fetch answers 409)', async () => {
    const racePath = join(alice.dirs.shares, 'race.bin');
    await writeFile(racePath, 'r'.repeat(5000));
    expect(await alice.rpc.result('bt.add_path', { path: racePath })).toBe(true);
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    const race = torrents.find((t) => t.name === 'race.bin')!.hash;
    await waitForShare(bob, alice, race);
    // Alice's engine holds still, so the fetch is under way when bob adds the share.
    process.kill(alice.engine.pid, 'SIGSTOP');
    let listing: Promise<{ status: number; code: unknown; detail: unknown }>;
    try {
      listing = statusOf(bob.rest.get(filesUrl(race)));
      await bob.engine.waitForLog(
        (l) => l.msg === 'fetching the file list of a friend’s share' && l.hash === race,
        { what: 'bob’s engine to start fetching the list', timeoutMs: 30_000 },
      );
      await bob.rest.post('/v1/torrents', { hash: race });
      expect(await listing).toMatchObject({ status: 409, code: 'conflict' });
    } finally {
      process.kill(alice.engine.pid, 'SIGCONT');
    }
    await waitFor(
      async () => {
        const { torrents: mine } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
        const t = mine.find((x) => x.hash === race);
        if (t?.state === 'error') throw new Error(`the download failed: ${JSON.stringify(t)}`);
        return t?.state === 'seeding' ? t : undefined;
      },
      { what: 'bob’s download of race.bin to complete', timeoutMs: 60_000 },
    );
  }, 90_000);

  it('times out with a clear 504 when the friend does not answer', async () => {
    // A second share, never asked before (answers are cached per hash).
    const other = join(alice.dirs.shares, 'later.bin');
    await writeFile(other, 'x'.repeat(1000));
    expect(await alice.rpc.result('bt.add_path', { path: other })).toBe(true);
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    later = torrents.find((t) => t.name === 'later.bin')!.hash;
    await waitForShare(bob, alice, later);
    // Alice's engine stops answering (its sockets still accept: the kernel holds the connections).
    process.kill(alice.engine.pid, 'SIGSTOP');
    try {
      const r = await statusOf(bob.rest.get(filesUrl(later)));
      // The engine's own answer (before the api's NATS request gives up), naming what was tried.
      expect(r).toEqual({
        status: 504,
        code: 'timeout',
        detail: expect.stringMatching(
          /^timeout: no friend gave the file list of [0-9a-f]{40} within 20 s/,
        ) as unknown,
      });
    } finally {
      process.kill(alice.engine.pid, 'SIGCONT');
    }
  }, 90_000);

  it('answers 503 while the friend is offline', async () => {
    // (Her list lost its entries while her engine stood still above: back once it beats again.)
    await waitForShare(bob, alice, later);
    // Alice's gateway dies without withdrawing her list: bob keeps it, her instance offline.
    process.kill(alice.gateway.pid, 'SIGKILL');
    await waitFor(
      async () => {
        const { contacts } = await bob.rest.get<{ contacts: { jid: string; online: boolean }[] }>(
          '/v1/contacts',
        );
        return contacts.some((c) => c.jid === alice.jid && !c.online) ? true : undefined;
      },
      { what: 'bob to see alice offline', timeoutMs: 60_000 },
    );
    expect(await statusOf(bob.rest.get(filesUrl(later)))).toEqual({
      status: 503,
      code: 'unavailable',
      detail: `service unavailable: no online friend offers ${later} at an endpoint we could dial`,
    });
  }, 90_000);
});
