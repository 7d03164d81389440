import {
  engine,
  serviceNames,
  xmpp,
  type ContactShares,
  type EngineState,
  type TorrentStatus,
} from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharesView, TorrentsView } from './views.js';
import { startNatsServer } from '../../testing/nats-server.js';

/*
 * The listing caches against a real nats-server: stand-ins built from the real contracts count
 * how often they are asked, and real events and registry writes change what they hold.
 */

const log = createLogger('views-test', 'silent');
const H1 = '1'.repeat(40);
const H2 = '2'.repeat(40);

/** Poll until `check` holds (events travel through the server); no fixed sleeps. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const torrent = (hash: string, over: Partial<TorrentStatus> = {}): TorrentStatus => ({
  hash,
  engineId: 'e1',
  name: 'x',
  size: 10,
  savePath: '/srv',
  state: 'downloading',
  progress: 0.1,
  done: false,
  downloaded: 1,
  uploaded: 0,
  downloadSpeed: 0,
  uploadSpeed: 0,
  peers: 0,
  files: [],
  error: null,
  addedAt: 0,
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  ...over,
});
const stateOf = (torrents: TorrentStatus[]): EngineState => ({
  engineId: 'e1',
  version: '0.1.0',
  endpoints: [],
  torrents: torrents.map((t) => ({ hash: t.hash, name: t.name, size: t.size })),
  heartbeatMs: 60_000,
});
const contact = (jid: string, names: string[]): ContactShares => ({
  jid,
  receivedAt: 0,
  resources: [
    {
      resource: 'r',
      online: true,
      endpoints: [],
      shares: names.map((name, i) => ({ hash: String(i).repeat(40).slice(0, 40), name, size: 1 })),
    },
  ],
});

let nats: { url: string; stop(): Promise<void> };
let peerNc: NatsConnection;
let nc: NatsConnection;
let peerBus: Bus;
let peerRegistry: EngineRegistry;
let host: ServiceHost;
let held: TorrentStatus[] = [torrent(H1)];
let contacts: ContactShares[] = [contact('a@example.org', ['one'])];
const asked = { list: 0, shares: 0 };
/** Runs after the shares stand-in has taken its answer, before it sends it (a change meanwhile). */
let beforeAnswer: (() => Promise<void>) | null = null;
/** Runs while the engine stand-in answers `engine.list` (a change that overtakes the fetch). */
let duringList: (() => void) | null = null;
let torrentsView: TorrentsView;
let sharesView: SharesView;

beforeAll(async () => {
  nats = await startNatsServer();
  peerNc = await connectNats(nats.url, 'peers', log);
  nc = await connectNats(nats.url, 'api', log);
  peerBus = new Bus(peerNc, log);
  peerRegistry = await EngineRegistry.open(peerNc, log);
  await peerRegistry.announce(stateOf(held));
  host = await ServiceHost.start(peerBus, { name: serviceNames.engine, version: '0.1.0' });
  host.serve(
    engine.list,
    () => {
      asked.list++;
      const answer = held;
      duringList?.();
      return { torrents: answer };
    },
    { params: { engineId: 'e1' } },
  );
  host.serve(xmpp.shares, async () => {
    asked.shares++;
    const answer = contacts;
    await beforeAnswer?.();
    return { contacts: answer };
  });
  const bus = new Bus(nc, log);
  const registry = await EngineRegistry.open(nc, log);
  torrentsView = new TorrentsView({ bus, registry, log, timeoutMs: 3000, maxAgeMs: 60_000 });
  sharesView = new SharesView({ bus, log, timeoutMs: 3000, maxAgeMs: 60_000 });
});

afterAll(async () => {
  torrentsView?.stop();
  sharesView?.stop();
  await host?.stop();
  await nc?.close();
  await peerNc?.close();
  await nats?.stop();
});

describe('TorrentsView', () => {
  it('asks the engines once, then serves from the cache', async () => {
    expect((await torrentsView.get()).torrents.map((t) => t.hash)).toEqual([H1]);
    const before = asked.list;
    await Promise.all([torrentsView.get(), torrentsView.get(), torrentsView.get()]);
    expect(asked.list).toBe(before);
  });

  it('merges progress events in place, without asking again', async () => {
    const before = asked.list;
    peerBus.publish(engine.progress, { ...torrent(H1), progress: 0.7, downloadSpeed: 5 }, { hash: H1 });
    await until(async () => (await torrentsView.get()).torrents[0]?.progress === 0.7, 'the progress');
    expect((await torrentsView.get()).torrents[0]).toMatchObject({ downloadSpeed: 5 });
    expect(asked.list).toBe(before);
  });

  it('asks again when a progress event says the metadata arrived (the file list is only in a listing)', async () => {
    const H3 = '3'.repeat(40);
    const pending = torrent(H3, { name: null, size: null, state: 'metadata', progress: 0 });
    const file = { path: 'ep.mkv', size: 10, wanted: true, priority: 'normal' as const, downloaded: 1 };
    held = [...held, pending];
    await peerRegistry.announce(stateOf(held));
    await until(async () => (await torrentsView.get()).torrents.some((t) => t.hash === H3), 'the magnet');
    const before = asked.list;
    held = held.map((t) =>
      t.hash === H3 ? torrent(H3, { files: [file], pieceCount: 1, pieceLength: 16384 }) : t,
    );
    peerBus.publish(engine.progress, { ...torrent(H3), progress: 0.1 }, { hash: H3 });
    await until(
      async () => (await torrentsView.get()).torrents.find((t) => t.hash === H3)?.files.length === 1,
      'the file list',
    );
    expect(asked.list).toBe(before + 1);
    held = held.filter((t) => t.hash !== H3);
    await peerRegistry.announce(stateOf(held));
    await until(
      async () => !(await torrentsView.get()).torrents.some((t) => t.hash === H3),
      'the magnet gone',
    );
  });

  it('memoises a derivation per version', async () => {
    let runs = 0;
    const derive = () => ++runs;
    await torrentsView.memo('k', derive);
    await torrentsView.memo('k', derive);
    expect(runs).toBe(1);
    peerBus.publish(engine.progress, { ...torrent(H1), progress: 0.8 }, { hash: H1 });
    await until(async () => (await torrentsView.get()).torrents[0]?.progress === 0.8, 'the progress');
    await torrentsView.memo('k', derive);
    expect(runs).toBe(2);
  });

  it('asks again when an engine registry entry shows another set of torrents (heartbeats alone do not)', async () => {
    const before = asked.list;
    await peerRegistry.announce(stateOf(held)); // a heartbeat
    held = [torrent(H1), torrent(H2)];
    await peerRegistry.announce(stateOf(held));
    await until(async () => (await torrentsView.get()).torrents.length === 2, 'the new torrent');
    expect(asked.list).toBe(before + 1);
  });

  it('a derivation after a write sees the write, also when an event overtakes the fetch', async () => {
    // bt.get_torrents right after bt.add_path: the add invalidates, the read fetches, and the
    // engine's torrent-added event arrives while it does — that answer is served, not kept; the
    // derivation must come from it, not from the older listing's memo.
    const hashes = (s: { torrents: TorrentStatus[] }) => s.torrents.map((t) => t.hash);
    held = [torrent(H1)];
    torrentsView.invalidate();
    expect(await torrentsView.memo('hashes', hashes)).toEqual([H1]);
    held = [torrent(H1), torrent(H2)];
    duringList = () => {
      duringList = null;
      torrentsView.invalidate();
    };
    torrentsView.invalidate();
    expect(await torrentsView.memo('hashes', hashes)).toEqual([H1, H2]);
  });

  it('asks again after invalidate(): a reader sees its own write', async () => {
    held = [torrent(H2)];
    torrentsView.invalidate();
    expect((await torrentsView.get()).torrents.map((t) => t.hash)).toEqual([H2]);
  });
});

describe('SharesView', () => {
  it('serves from the cache and applies contact-shares events in place', async () => {
    expect((await sharesView.get()).map((c) => c.jid)).toEqual(['a@example.org']);
    const before = asked.shares;
    peerBus.publish(xmpp.contactShares, contact('b@example.org', ['two']));
    peerBus.publish(xmpp.contactShares, contact('a@example.org', ['one', 'uno']));
    await until(async () => (await sharesView.get()).length === 2, 'the new contact');
    await until(
      async () => (await sharesView.get())[0]?.resources[0]?.shares.length === 2,
      "a's replaced list",
    );
    expect(asked.shares).toBe(before);
  });

  it('asks again after a roster change', async () => {
    contacts = [contact('c@example.org', ['three'])];
    peerBus.publish(xmpp.contactChanged, {
      jid: 'b@example.org',
      name: null,
      subscription: 'none',
      online: false,
      resources: [],
    });
    await until(async () => (await sharesView.get())[0]?.jid === 'c@example.org', 'the fresh list');
  });

  it('does not keep an answer that predates a contact-shares event received while it was fetched', async () => {
    // The gateway answers with d's old list, then d's new list arrives and its event reaches the
    // api before the answer does: the answer is served once, never cached over the change.
    contacts = [contact('d@example.org', ['four'])];
    const fresh = contact('d@example.org', ['four', 'vier']);
    beforeAnswer = async () => {
      beforeAnswer = null;
      contacts = [fresh];
      peerBus.publish(xmpp.contactShares, fresh);
      await peerNc.flush();
    };
    sharesView.invalidate();
    expect((await sharesView.get())[0]?.resources[0]?.shares).toHaveLength(1);
    await until(async () => (await sharesView.get())[0]?.resources[0]?.shares.length === 2, "d's new list");
  });

  it('reports the error once the source is gone and the cache was dropped', async () => {
    await host.stop();
    sharesView.invalidate();
    await expect(sharesView.get()).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('maxAgeMs 0', () => {
  it('goes straight to NATS on a read (here: the error at once)', async () => {
    const bus = new Bus(nc, log);
    const view = new SharesView({ bus, log, timeoutMs: 500, maxAgeMs: 0 });
    await expect(view.get()).rejects.toMatchObject({ code: 'unavailable' });
    view.stop();
  });
});
