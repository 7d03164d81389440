import { writeFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  repoRoot,
  sha256File,
  startFriends,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type HashesResult,
  type SharesResult,
  type TorrentsResult,
} from '../harness/index.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

interface ContactEvent {
  jid: string;
  receivedAt: number;
  resources: {
    resource: string;
    endpoints: { address: string; port: number }[];
    shares: { hash: string; name: string; size: number }[];
  }[];
}

/** The torrent once `node` seeds it; throws (so a timeout says what it was instead) until then. */
async function seeding(node: BitweenNode, hash: string) {
  const { torrents } = await node.rpc.result<TorrentsResult>('bt.get_torrents');
  const t = torrents.find((x) => x.hash === hash);
  if (t?.state !== 'seeding') throw new Error(`not seeding yet: ${JSON.stringify(t)}`);
  return t;
}

/** Every share `viewer` sees offered by `owner` (any resource). */
async function sharesOffered(viewer: BitweenNode, owner: BitweenNode) {
  const { shares } = await viewer.rpc.result<SharesResult>('xmpp.get_shares');
  return Object.values(shares[owner.jid] ?? {}).flatMap((r) => Object.values(r.shares));
}

describe('two friends share a file end to end', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let bobNats: NatsConnection;
  const metrics: Record<string, number | string> = {};

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob']));
    bobNats = await bob.nats.connect();
    // Both gateways are logged in before the test starts measuring.
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
  });

  afterAll(async () => {
    await cleanup.run();
    await mkdir(join(repoRoot, 'reports'), { recursive: true });
    await writeFile(join(repoRoot, 'reports', 'e2e-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  });

  let hash = '';
  let sha256 = '';
  let doneEvent: Promise<unknown>;
  let contactEvent: Promise<ContactEvent>;
  const name = 'holiday.bin';

  it('alice shares a 64 MiB file through her API', async () => {
    // bob's gateway also announces every accepted list on NATS, whole.
    contactEvent = new Promise((resolve) => {
      const sub = bobNats.subscribe('bitween.v1.evt.xmpp.contact-shares', {
        callback: (_err, msg) => {
          const e = msg.json<ContactEvent>();
          if (e.jid === alice.jid && e.resources.some((r) => r.shares.some((s) => s.name === name))) {
            sub.unsubscribe();
            resolve(e);
          }
        },
      });
    });
    const path = join(alice.dirs.shares, name);
    sha256 = await writeRandomFile(path, SIZE);
    metrics.shareStartedAt = Date.now();
    expect(await alice.rpc.result('bt.add_path', { path })).toBe(true);
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    const mine = torrents.find((t) => t.name === name);
    expect(mine).toMatchObject({ total_size: SIZE, done: SIZE, progress: 1, state: 'seeding' });
    hash = mine!.hash;
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
  });

  it('bob sees it in xmpp.get_shares', async () => {
    const started = metrics.shareStartedAt as number;
    const share = await waitFor(async () => (await sharesOffered(bob, alice)).find((s) => s.hash === hash), {
      what: `alice's share to appear at bob`,
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    const ms = Date.now() - started;
    metrics.shareVisibleAtFriendMs = ms;
    doneEvent = new Promise((resolve) => {
      const sub = bobNats.subscribe(`bitween.v1.evt.torrent.${hash}.progress`, {
        callback: (_err, msg) => {
          const p = msg.json<{ done: boolean }>();
          if (p.done) {
            sub.unsubscribe();
            resolve(p);
          }
        },
      });
    });
    // Split: hashing the file (engine) vs everything after the torrent existed.
    const shared = alice.engine.logs.find((l) => l.msg === 'sharing path' && l.hash === hash);
    metrics.hashingMs = shared?.ms as number;
    metrics.torrentReadyToVisibleMs = Date.now() - Date.parse(shared?.time as string);
    console.log(
      `share appeared at the friend ${ms} ms after bt.add_path was called ` +
        `(hashing 64 MiB: ${metrics.hashingMs} ms; torrent ready → visible in bob's API: ${metrics.torrentReadyToVisibleMs} ms)`,
    );
    expect(share).toEqual({ hash, name, size: SIZE, files: null });

    const { shares } = await bob.rpc.result<SharesResult>('xmpp.get_shares');
    const resource = Object.values(shares[alice.jid] ?? {})[0];
    expect(resource?.ip_v4.length).toBeGreaterThan(0);
    expect(resource?.ip_v4[0]?.[0]).toBe('127.0.0.1');
    const event = await contactEvent;
    expect(event.resources).toEqual([
      {
        // one entry per engine: <XMPP resource>/<engine id>
        resource: 'bitween/alice-engine-1',
        online: true,
        endpoints: [{ address: '127.0.0.1', port: resource?.ip_v4[0]?.[1] }],
        shares: [{ hash, name, size: SIZE }],
      },
    ]);
    const { hashes } = await bob.rpc.result<HashesResult>('xmpp.get_hashes');
    expect(hashes[hash]).toEqual(resource?.ip_v4);
  });

  it('bob downloads it by hash and gets the same bytes', async () => {
    const complete = bob.engine.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: 'bob to complete the download',
      timeoutMs: 120_000,
    });
    const started = Date.now();
    expect(await bob.rpc.result('bt.add_torrent_by_hash', { hash, save_path: bob.dirs.downloads })).toBe(
      true,
    );
    // The engine's own timestamp of completion (same host clock), not when a poll noticed it.
    const finished = Date.parse((await complete).time as string);
    const seconds = (finished - started) / 1000;
    const rate = SIZE / MiB / seconds;
    metrics.transferSeconds = Number(seconds.toFixed(3));
    metrics.transferMiBps = Number(rate.toFixed(1));
    console.log(
      `64 MiB downloaded in ${seconds.toFixed(2)} s (${rate.toFixed(1)} MiB/s, metadata fetch included)`,
    );

    // The engine also told NATS subscribers (the coalesced progress event says done).
    await waitFor(async () => seeding(bob, hash), { what: 'bob to list the torrent as seeding' });
    expect(await doneEvent).toMatchObject({ hash, done: true, progress: 1 });

    const file = join(bob.dirs.downloads, name);
    expect((await stat(file)).size).toBe(SIZE);
    expect(await sha256File(file)).toBe(sha256);
    const { torrents } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
    expect(torrents.find((t) => t.hash === hash)).toMatchObject({
      name,
      total_size: SIZE,
      done: SIZE,
      state: 'seeding',
    });
  });

  it("bob's own published list then includes it (a downloader becomes a source)", async () => {
    const share = await waitFor(async () => (await sharesOffered(alice, bob)).find((s) => s.hash === hash), {
      what: `bob's list to include the downloaded share, seen by alice`,
    });
    expect(share).toMatchObject({ hash, name, size: SIZE });
  });

  it("bob's engine restarts with the torrent restored from disk, and bob shares it again", async () => {
    expect(await bob.engine.stop()).toBe(0);
    // A clean engine stop withdraws its registry entry: bob's list at alice loses the share.
    await waitFor(async () => !(await sharesOffered(alice, bob)).some((s) => s.hash === hash), {
      what: "bob's share to disappear at alice after his engine stopped",
    });
    const engine = await bob.restart('engine');
    await engine.waitForLog((l) => l.msg === 'restored torrents' && l.torrents === 1, {
      what: 'the restore',
    });
    const restored = await waitFor(async () => seeding(bob, hash), {
      what: 'the restored torrent to be verified and seeding',
    });
    expect(restored).toMatchObject({ name, total_size: SIZE, done: SIZE, progress: 1 });
    await waitFor(async () => (await sharesOffered(alice, bob)).some((s) => s.hash === hash), {
      what: "bob's share to reappear at alice",
    });
  });

  it("alice's clean shutdown withdraws her list at bob", async () => {
    expect(await alice.gateway.stop()).toBe(0);
    expect(alice.gateway.logs.some((l) => l.msg === 'withdrew our shares')).toBe(true);
    await waitFor(async () => (await sharesOffered(bob, alice)).length === 0, {
      what: "alice's shares to disappear at bob",
    });
    const { shares } = await bob.rpc.result<SharesResult>('xmpp.get_shares');
    expect(shares[alice.jid]).toEqual({});
  });

  it('every other service is still running', () => {
    for (const node of [alice, bob]) {
      for (const s of node.services()) {
        if (s === alice.gateway) continue; // stopped on purpose above
        expect(
          s.logs.some((l) => l.msg === 'stopped'),
          s.label,
        ).toBe(false);
      }
    }
  });
});
