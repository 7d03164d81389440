// The webtorrent patch's lookup by info hash (patches/README.md, webtorrent change 8): `add`'s
// duplicate check and `get` find a torrent in a map instead of walking every torrent of the
// client (each add cost O(N)). A real webtorrent client seeding real files; the client's torrent
// list is made to throw when walked, so a scan fails the test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import createTorrent from 'create-torrent';
import WebTorrent, { type Torrent } from 'webtorrent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const metainfo = (file: string) =>
  new Promise<Uint8Array>((resolve, reject) =>
    createTorrent(file, { announceList: [] }, (err, t) => (err ? reject(err) : resolve(t))),
  );

/** Walking `torrents` (for…of, spread) throws from here on; `indexOf`/`splice`/`includes` still work. */
function forbidWalking(client: WebTorrent): void {
  Object.defineProperty(client.torrents, Symbol.iterator, {
    configurable: true,
    value: () => {
      throw new Error('walked client.torrents');
    },
  });
}

describe('webtorrent: torrents looked up by info hash', () => {
  let dir: string;
  let client: WebTorrent | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bitween-lookup-'));
  });
  afterEach(async () => {
    const c = client;
    client = null;
    if (c && !c.destroyed) {
      // (Destroying walks the torrents: let it.)
      delete (c.torrents as unknown as Record<symbol, unknown>)[Symbol.iterator];
      await new Promise<void>((resolve) => c.destroy(() => resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a duplicate, finds a torrent by hash, and takes a removed hash again, without walking the torrents', async () => {
    client = new WebTorrent({
      dht: false,
      lsd: false,
      utPex: false,
      natUpnp: false,
      natPmp: false,
      utp: false,
    });
    const c = client;
    const metas: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const file = path.join(dir, `file-${i}.bin`);
      await writeFile(file, `seed ${i}\n`);
      metas.push(await metainfo(file));
    }
    const add = (meta: Uint8Array) => new Promise<Torrent>((resolve) => c.add(meta, { path: dir }, resolve));
    const first = await add(metas[0]!);
    await add(metas[1]!);
    forbidWalking(c);

    // A third torrent, then the first one again: the duplicate is destroyed, its caller gets the held one.
    const third = await add(metas[2]!);
    let duplicate!: Torrent;
    let refused!: Promise<Error>;
    const held = await new Promise<Torrent>((resolve) => {
      duplicate = c.add(metas[0]!, { path: dir }, resolve);
      const d = duplicate;
      refused = new Promise<Error>((r) => d.once('error', r));
    });
    expect(held).toBe(first);
    expect((await refused).message).toMatch(/duplicate torrent/);
    expect(duplicate.destroyed).toBe(true);
    expect(held.destroyed).toBe(false);
    expect(c.torrents).toHaveLength(3);

    expect(await c.get(first.infoHash)).toBe(first);
    expect(await c.get(`magnet:?xt=urn:btih:${third.infoHash}`)).toBe(third);
    expect(await c.get(third)).toBe(third);
    expect(await c.get(metas[3]!)).toBeNull();

    // Removed: not found any more, and the same hash can be added again.
    await c.remove(first);
    expect(await c.get(first.infoHash)).toBeNull();
    expect(await c.get(first)).toBeNull();
    const again = await add(metas[0]!);
    expect(again).not.toBe(first);
    expect(again.destroyed).toBe(false);
    expect(await c.get(first.infoHash)).toBe(again);
    expect(c.torrents).toHaveLength(3);
  });
});
