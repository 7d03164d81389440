import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  startTcpProxy,
  startTestEngine,
  torrentPort,
  waitFor,
  type TcpProxy,
  type TestEngine,
} from '../harness/index.js';

/** `bytes` of random data with `marker` written every 64 KiB (found again in any piece). */
function markedData(bytes: number, marker: Buffer): Buffer {
  const data = randomBytes(bytes);
  for (let at = 0; at + marker.length <= bytes; at += 64 * 1024) marker.copy(data, at);
  return data;
}

/** Every regular file below `dir` (relative paths). */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/**
 * Symbolic links never lead a share out of the share roots (issue 18, point 2): a friend
 * downloading a shared folder that holds links to files outside gets none of their bytes, and a
 * file swapped for a link after it was shared is refused when it is read. Two engines (two users),
 * plain BitTorrent (no MSE) through a proxy that records every byte the sharer sends.
 */
describe('engine: symbolic links and the share roots', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let bob: TestEngine;
  let proxy: TcpProxy;
  /** Everything alice sent to bob, in order. */
  const sent: Buffer[] = [];
  const wire = () => Buffer.concat(sent);

  /** Outside every share root: alice's is <root>/alice, bob's <root>/bob. */
  const outside = () => join(root, 'outside');
  const SECRET = Buffer.from('=== SECRET BYTES FROM OUTSIDE THE SHARE ROOTS ===');
  const SHARED = Buffer.from('=== bytes alice meant to share ===');

  beforeAll(async () => {
    root = await makeTempDir('engine-symlinks');
    const extra = { BITWEEN_PEER_ENCRYPTION: 'off' };
    [alice, bob] = await Promise.all([
      startTestEngine(cleanup, { root, id: 'alice', extra }),
      startTestEngine(cleanup, { root, id: 'bob', extra }),
    ]);
    proxy = await startTcpProxy(cleanup, 'recording proxy', torrentPort(alice), (target, client) => {
      target.on('data', (chunk: Buffer) => sent.push(Buffer.from(chunk)));
      target.pipe(client);
    });
    await mkdir(join(outside(), 'ssh'), { recursive: true });
    await writeFile(join(outside(), 'passwd'), markedData(300 * 1024, SECRET));
    await writeFile(join(outside(), 'ssh', 'ssh_config'), markedData(200 * 1024, SECRET));
  });
  afterAll(() => cleanup.run());

  /** bob adds `hash` and is told alice's endpoint is the recording proxy. */
  async function bobFetches(hash: string): Promise<void> {
    const added = await bob.bus.request(engine.addHash, { hash });
    if (!added.ok) throw added.error;
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: proxy.port }] }],
    });
  }

  const aliceTorrent = async (hash: string) => {
    const list = await alice.bus.request(engine.list, {}, { params: { engineId: 'alice' } });
    if (!list.ok) throw list.error;
    return list.value.torrents.find((t) => t.hash === hash);
  };

  it('refuses to serve a file swapped for a link after sharing; the daemon keeps running', async () => {
    const folder = join(root, 'alice', 'swapped');
    await mkdir(folder);
    const a = markedData(512 * 1024, SHARED);
    await writeFile(join(folder, 'a.bin'), a);
    await writeFile(join(folder, 'b.bin'), markedData(100 * 1024, SHARED));
    // The same size as a.bin: what the link leads to looks like a plausible payload.
    await writeFile(join(outside(), 'same-size'), markedData(a.length, SECRET));

    const shared = await alice.bus.request(engine.addPath, { path: folder });
    if (!shared.ok) throw shared.error;
    const hash = shared.value.torrent.hash;
    expect(shared.value.torrent.state).toBe('seeding');
    // After sharing: a.bin is replaced by a link to the file outside.
    await rm(join(folder, 'a.bin'));
    await symlink(join(outside(), 'same-size'), join(folder, 'a.bin'));

    const failed = alice.process.waitForLog((l) => l.msg === 'torrent failed' && l.hash === hash, {
      what: "alice's torrent failing on the swapped file",
    });
    await bobFetches(hash);
    const line = await failed;
    expect(String(line.err)).toMatch(/swapped\/a\.bin is a symbolic link/);
    const status = await waitFor(
      async () => (await aliceTorrent(hash))?.state === 'error' && aliceTorrent(hash),
      {
        what: 'the torrent listed with its error',
      },
    );
    expect(status).toMatchObject({
      state: 'error',
      error: expect.stringMatching(/symbolic link/) as unknown,
    });
    // bob got nothing from outside, and never a piece that failed its check (nothing was sent).
    expect(wire().includes(SECRET)).toBe(false);
    expect(bob.process.logs.some((l) => l.msg === 'piece failed verification' && l.hash === hash)).toBe(
      false,
    );
    const bobsCopy = join(root, 'bob', 'downloads', 'swapped', 'a.bin');
    const got = await readFile(bobsCopy).catch(() => Buffer.alloc(0));
    expect(got.includes(SECRET)).toBe(false);
  });

  it('leaves links out of a shared folder: the friend gets the files, none of the outside bytes', async () => {
    const album = join(root, 'alice', 'album');
    await mkdir(join(album, 'disc'), { recursive: true });
    await writeFile(join(album, 'cover.jpg'), markedData(150 * 1024, SHARED));
    await writeFile(join(album, 'disc', '01.flac'), markedData(700 * 1024, SHARED));
    // ln -s /etc/passwd; ln -s /etc/ssh — here: files outside alice's share root.
    await symlink(join(outside(), 'passwd'), join(album, 'passwd'));
    await symlink(join(outside(), 'ssh'), join(album, 'ssh'));
    // A link pointing inside the root is left out too (links are never followed).
    await symlink(join(album, 'cover.jpg'), join(album, 'disc', 'cover-link.jpg'));

    const skippedLog = alice.process.waitForLog(
      (l) => String(l.msg).startsWith('not shared: symbolic links'),
      {
        what: "alice's log of the links left out",
      },
    );
    const shared = await alice.bus.request(engine.addPath, { path: album });
    if (!shared.ok) throw shared.error;
    const { hash, files } = shared.value.torrent;
    expect(files.map((f) => f.path).sort()).toEqual(['album/cover.jpg', 'album/disc/01.flac']);
    expect(await skippedLog).toMatchObject({ level: 30, count: 3, symlinks: 3 });

    const before = wire().length;
    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: "bob's download of the album",
    });
    await bobFetches(hash);
    await complete;

    const mine = join(root, 'bob', 'downloads', 'album');
    expect((await filesBelow(mine)).sort()).toEqual(['cover.jpg', 'disc/01.flac']);
    for (const f of await filesBelow(join(root, 'bob', 'downloads'))) {
      expect((await readFile(join(root, 'bob', 'downloads', f))).includes(SECRET), f).toBe(false);
    }
    // The recording sees plain BitTorrent (the shared bytes went through it), never the secret.
    expect(wire().subarray(before).includes(SHARED)).toBe(true);
    expect(wire().includes(SECRET)).toBe(false);
  });

  it('refuses a single shared file that is a link out of the roots', async () => {
    await symlink(join(outside(), 'passwd'), join(root, 'alice', 'passwd'));
    const r = await alice.bus.request(engine.addPath, { path: join(root, 'alice', 'passwd') });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringMatching(/outside the share roots/) as unknown },
    });
  });

  it('pins a share root configured through a link to where it pointed at start', async () => {
    // carol's share root is a link to a real folder; later the link is pointed at the outside.
    const real = join(root, 'carol-real');
    const link = join(root, 'carol-root');
    await mkdir(join(real, 'music'), { recursive: true });
    await writeFile(join(real, 'music', 'song.ogg'), markedData(64 * 1024, SHARED));
    await symlink(real, link);
    const carol = await startTestEngine(cleanup, {
      root,
      id: 'carol',
      extra: { BITWEEN_SHARE_ROOTS: link },
    });
    const shared = await carol.bus.request(engine.addPath, { path: join(link, 'music') });
    if (!shared.ok) throw shared.error;
    expect(shared.value.torrent).toMatchObject({ state: 'seeding', savePath: real });

    await rm(link);
    await symlink(outside(), link);
    const moved = await carol.bus.request(engine.addPath, { path: join(link, 'ssh') });
    expect(moved).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringMatching(/outside the share roots/) as unknown },
    });
    // What was shared before still lists, and the engine still answers.
    const list = await carol.bus.request(engine.list, {}, { params: { engineId: 'carol' } });
    expect(list.ok && list.value.torrents.map((t) => t.hash)).toEqual([shared.value.torrent.hash]);
  });
});
