// The webtorrent patch's lookups (patches/README.md, webtorrent changes 8 and 9): `add`'s
// duplicate check and `get` find a torrent in a map instead of walking every torrent of the
// client (each add cost O(N)); `remove` finds its place in the list without searching it, and an
// incoming encrypted connection (which names sha1('req2' + infoHash)) finds its torrent in a map
// too. Real webtorrent clients seeding real files; the client's torrent list is made to throw when
// walked or searched, so a scan fails the test.
import { createHash } from 'node:crypto';
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

const SEARCHES = ['indexOf', 'includes', 'splice', 'find', 'findIndex', 'some'] as const;

/** Walking `torrents` (for…of, spread) or searching it (`indexOf`, `splice`…) throws from here on. */
function forbidWalking(client: WebTorrent): void {
  const walked = () => {
    throw new Error('walked client.torrents');
  };
  Object.defineProperty(client.torrents, Symbol.iterator, { configurable: true, value: walked });
  for (const m of SEARCHES) Object.defineProperty(client.torrents, m, { configurable: true, value: walked });
}

function allowWalking(client: WebTorrent): void {
  const list = client.torrents as unknown as Record<string | symbol, unknown>;
  delete list[Symbol.iterator];
  for (const m of SEARCHES) delete list[m];
}

/** What an incoming encrypted connection names instead of the info hash. */
const obfuscated = (infoHash: string) =>
  createHash('sha1')
    .update(Buffer.concat([Buffer.from('req2'), Buffer.from(infoHash, 'hex')]))
    .digest('hex');

describe('webtorrent: torrents looked up by info hash', () => {
  let dir: string;
  let client: WebTorrent | null = null;
  let other: WebTorrent | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bitween-lookup-'));
  });
  afterEach(async () => {
    for (const c of [client, other]) {
      if (c && !c.destroyed) {
        // (Destroying walks the torrents: let it.)
        allowWalking(c);
        await new Promise<void>((resolve) => c.destroy(() => resolve()));
      }
    }
    client = other = null;
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
    const second = await add(metas[1]!);
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
    // (Read by index: the list is not walked. The last torrent took the removed one's place.)
    const held3 = Array.from({ length: c.torrents.length }, (_, i) => c.torrents[i]);
    expect(new Set(held3)).toEqual(new Set([again, second, third]));
  });

  it('finds the torrent of an incoming encrypted connection by its obfuscated hash, without walking the torrents', async () => {
    const options = {
      dht: false,
      lsd: false,
      utPex: false,
      natUpnp: false,
      natPmp: false,
      utp: false,
      secure: 1,
    };
    client = new WebTorrent(options);
    const seeder = client;
    const metas: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const file = path.join(dir, `file-${i}.bin`);
      await writeFile(file, `seed ${i}\n`.repeat(1000));
      metas.push(await metainfo(file));
    }
    const seeds: Torrent[] = [];
    for (const meta of metas)
      seeds.push(await new Promise<Torrent>((r) => seeder.add(meta, { path: dir }, r)));
    await new Promise<void>((resolve) =>
      seeder.listening ? resolve() : seeder.once('listening', () => resolve()),
    );
    forbidWalking(seeder);
    const getByHash = (h: string) =>
      (seeder as unknown as { _getByHash(h: string): Promise<Torrent | null> })._getByHash(h);
    expect(await getByHash(obfuscated(seeds[1]!.infoHash))).toBe(seeds[1]);
    expect(await getByHash(obfuscated('ab'.repeat(20)))).toBeNull();

    // A downloader dials the seeder with the encrypted handshake and gets the middle torrent.
    other = new WebTorrent(options);
    const downloader = other;
    const into = await mkdtemp(path.join(dir, 'download-'));
    const leech = downloader.add(metas[1]!, { path: into });
    const done = new Promise<void>((resolve) => leech.once('done', () => resolve()));
    leech.once('ready', () => leech.addPeer(`127.0.0.1:${seeder.torrentPort}`));
    await done;
    expect(seeds[1]!.wires.length).toBe(1);

    // A removed torrent is no longer found by its obfuscated hash.
    await seeder.remove(seeds[1]!);
    expect(await getByHash(obfuscated(seeds[1]!.infoHash))).toBeNull();
    expect(await getByHash(obfuscated(seeds[2]!.infoHash))).toBe(seeds[2]);
  }, 60_000);
});
