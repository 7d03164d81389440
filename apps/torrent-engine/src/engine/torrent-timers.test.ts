// The webtorrent patch's client-wide timers (patches/README.md, webtorrent change 7): many idle
// torrents share one rechoke timer and one no-peers timer instead of two timers each. A real
// webtorrent client seeding real files; only setInterval/clearInterval are faked, to count them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import createTorrent from 'create-torrent';
import WebTorrent, { type Torrent } from 'webtorrent';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** webtorrent internals this test looks at (patched, see patches/webtorrent+3.0.21.patch). */
interface Internals {
  _rechoke(): void;
  _checkNoPeers(): void;
}

const metainfo = (file: string) =>
  new Promise<Uint8Array>((resolve, reject) =>
    createTorrent(file, { announceList: [] }, (err, t) => (err ? reject(err) : resolve(t))),
  );

describe('webtorrent: torrents on client-wide timers', () => {
  let dir: string;
  let client: WebTorrent | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bitween-timers-'));
  });
  afterEach(async () => {
    const c = client;
    client = null;
    if (c && !c.destroyed) await new Promise<void>((resolve) => c.destroy(() => resolve()));
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every torrent’s rechoke (10 s) and no-peers check (30 s) on one interval each, and stops them with the last torrent', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const intervals = vi.spyOn(globalThis, 'setInterval');
    // Trackers on (none announced), so the no-peers check has a source to report.
    client = new WebTorrent({
      dht: false,
      lsd: false,
      utPex: false,
      natUpnp: false,
      natPmp: false,
      utp: false,
    });
    const c = client;
    const torrents: Torrent[] = [];
    for (let i = 0; i < 3; i++) {
      const file = path.join(dir, `file-${i}.bin`);
      await writeFile(file, `idle seed ${i}\n`);
      const meta = await metainfo(file);
      torrents.push(await new Promise<Torrent>((resolve) => c.add(meta, { path: dir }, resolve)));
    }
    const rechokes = torrents.map((t) => vi.spyOn(t as unknown as Internals, '_rechoke'));
    const checks = torrents.map((t) => vi.spyOn(t as unknown as Internals, '_checkNoPeers'));
    const noPeers = vi.fn();
    torrents[0]!.on('noPeers', noPeers);

    const periods = intervals.mock.calls.map((call) => call[1]);
    expect(periods.filter((ms) => ms === 10_000)).toHaveLength(1);
    expect(periods.filter((ms) => ms === 30_000)).toHaveLength(1);

    vi.advanceTimersByTime(30_000);
    for (const r of rechokes) expect(r).toHaveBeenCalledTimes(3);
    for (const ch of checks) expect(ch).toHaveBeenCalledTimes(1);
    expect(noPeers).toHaveBeenCalledWith('tracker');

    // A removed torrent leaves the timers; the last one stops them.
    await c.remove(torrents[0]!);
    vi.advanceTimersByTime(10_000);
    expect(rechokes[0]).toHaveBeenCalledTimes(3);
    expect(rechokes[1]).toHaveBeenCalledTimes(4);
    await c.remove(torrents[1]!);
    await c.remove(torrents[2]!);
    expect(vi.getTimerCount()).toBe(0);
  });
});
