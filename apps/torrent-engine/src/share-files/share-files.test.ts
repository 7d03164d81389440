import { EventEmitter } from 'node:events';
import type { PeerEndpoint } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import type { EngineCore } from '../engine/core.js';
import { PeerBook } from '../engine/peer-book.js';
import { ShareFiles, DEFAULT_SHARE_FILES_LIMITS, type ShareFilesLimits } from './share-files.js';

// A stand-in for the webtorrent client (only what a metadata fetch touches): the fetching,
// caching and bounding logic is what is tested here; the real client is in the e2e tests.
class FakeTorrent extends EventEmitter {
  infoHash = '';
  info: unknown = undefined;
  destroyed = false;
  numPeers = 0;
  dialled: string[] = [];
  constructor(private readonly client: FakeClient) {
    super();
  }
  addPeer(addr: string) {
    this.dialled.push(addr);
    return true;
  }
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.client.torrents.splice(this.client.torrents.indexOf(this), 1);
    this.emit('close');
  }
}

class FakeClient {
  readonly torrents: FakeTorrent[] = [];
  adds = 0;
  most = 0;
  add(magnet: string) {
    const t = new FakeTorrent(this);
    this.adds++;
    this.torrents.push(t);
    this.most = Math.max(this.most, this.torrents.length);
    queueMicrotask(() => {
      t.infoHash = magnet.slice(-40);
      t.emit('infoHash');
    });
    return t;
  }
  /** The friend hands over the metadata of `hash`. */
  deliver(hash: string, info: unknown) {
    const t = this.torrents.find((x) => x.infoHash === hash);
    if (!t) throw new Error(`no fetch of ${hash} under way`);
    t.info = info;
    t.emit('metadata');
  }
}

const H = (c: string) => c.repeat(40);
const enc = (s: string) => new TextEncoder().encode(s);
const info = (name: string) => ({ name: enc(name), files: [{ path: [enc('a.txt')], length: 3 }] });
const at: PeerEndpoint[] = [{ address: '203.0.113.5', port: 8000, jid: 'alice@example.org' }];
const quiet = { info() {}, warn() {}, debug() {}, error() {} };

function setUp(limits: Partial<ShareFilesLimits> = {}) {
  const client = new FakeClient();
  const peerBook = new PeerBook();
  const core = { client, entries: new Map(), peerBook, log: quiet } as unknown as EngineCore;
  return { client, peerBook, files: new ShareFiles(core, { ...DEFAULT_SHARE_FILES_LIMITS, ...limits }) };
}

/** Until every microtask and pending timer callback of this turn ran. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('ShareFiles', () => {
  it('fetches once for everyone asking, dials the endpoints, and answers later asks from its cache', async () => {
    const { client, peerBook, files } = setUp();
    const one = files.files(H('a'), at);
    const two = files.files(H('a'), at);
    await settle();
    expect(client.adds).toBe(1);
    expect(client.torrents[0]!.dialled).toEqual(['203.0.113.5:8000']);
    // The dial guard judges the address with the offer it came from.
    expect(peerBook.offer(H('a'), '203.0.113.5:8000')).toEqual(at[0]);
    client.deliver(H('a'), info('album'));
    expect((await one).name).toBe('album');
    expect((await two).files).toEqual([{ path: 'a.txt', size: 3 }]);
    expect(client.torrents).toEqual([]); // destroyed in its 'metadata' event
    expect(peerBook.size(H('a'))).toBe(0);
    expect((await files.files(H('a'), at)).name).toBe('album');
    expect(client.adds).toBe(1);
  });

  it('runs at most maxConcurrent fetches; the others wait their turn', async () => {
    const { client, files } = setUp({ maxConcurrent: 2 });
    const hashes = ['a', 'b', 'c', 'd', 'e'].map(H);
    const all = hashes.map((h) => files.files(h, at));
    for (const h of hashes) {
      await settle();
      client.deliver(h, info(h.slice(0, 1)));
    }
    expect((await Promise.all(all)).map((l) => l.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(client.most).toBe(2);
  });

  it('refuses more waiting fetches than maxWaiting', async () => {
    const { client, files } = setUp({ maxConcurrent: 1, maxWaiting: 1 });
    const first = files.files(H('a'), at);
    const second = files.files(H('b'), at);
    await expect(files.files(H('c'), at)).rejects.toMatchObject({ code: 'unavailable' });
    await settle();
    client.deliver(H('a'), info('a'));
    await first;
    await settle();
    client.deliver(H('b'), info('b'));
    await second;
  });

  it('keeps a refusal of unsafe names like an answer', async () => {
    const { client, files } = setUp();
    const climb = { name: enc('x'), files: [{ path: [enc('..'), enc('evil')], length: 1 }] };
    const asked = files.files(H('a'), at);
    await settle();
    client.deliver(H('a'), climb);
    await expect(asked).rejects.toMatchObject({
      code: 'failed',
      message: expect.stringMatching(/^refused: /) as unknown,
    });
    await expect(files.files(H('a'), at)).rejects.toMatchObject({ code: 'failed' });
    expect(client.adds).toBe(1);
  });

  it('forgets the least recently used answer beyond cacheSize, and answers older than ttlMs', async () => {
    const { client, files } = setUp({ cacheSize: 2 });
    for (const c of ['a', 'b', 'c']) {
      const p = files.files(H(c), at);
      await settle();
      client.deliver(H(c), info(c));
      await p;
    }
    await files.files(H('b'), at); // cached
    expect(client.adds).toBe(3);
    const again = files.files(H('a'), at); // evicted: fetched again
    await settle();
    expect(client.adds).toBe(4);
    client.deliver(H('a'), info('a'));
    await again;

    const stale = setUp({ ttlMs: 0 });
    for (let i = 0; i < 2; i++) {
      const p = stale.files.files(H('a'), at);
      await settle();
      stale.client.deliver(H('a'), info('a'));
      await p;
    }
    expect(stale.client.adds).toBe(2);
  });

  it('times out with a clear error when no friend answers, and does not keep the failure', async () => {
    const { client, files } = setUp();
    await expect(files.files(H('a'), at, 50)).rejects.toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(
        /^no friend gave the file list of a{40} within 0 s \(1 endpoint tried/,
      ) as unknown,
    });
    expect(client.torrents).toEqual([]);
    const retry = files.files(H('a'), at);
    await settle();
    expect(client.adds).toBe(2);
    client.deliver(H('a'), info('a'));
    await retry;
  });

  it('is unavailable without an endpoint to dial (the friend is offline)', async () => {
    const { client, files } = setUp();
    await expect(files.files(H('a'), [])).rejects.toMatchObject({ code: 'unavailable' });
    expect(client.adds).toBe(0);
  });

  it('answers conflict when the torrent is added meanwhile (its fetch leaves the client)', async () => {
    const { client, files } = setUp();
    const asked = files.files(H('a'), at);
    await settle();
    client.torrents[0]!.destroy();
    await expect(asked).rejects.toMatchObject({ code: 'conflict' });
  });
});
