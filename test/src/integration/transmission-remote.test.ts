import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  type JsonRpcClient,
  makeTempDir,
  removeTempDir,
  startApi,
  startNats,
  startService,
  transmissionRemote,
  waitFor,
  writeRandomFile,
} from '../harness/index.js';

/*
 * Debian's real `transmission-remote` (package transmission-cli) against bitween: a real
 * nats-server, a real torrent engine and the api as processes. Asserts on what
 * transmission-remote prints, as a user of it would read it.
 */

const TOKEN = 'transmission-remote-test-token';

type Bencodable = number | string | Buffer | { [key: string]: Bencodable };

/** Bencode (BEP 3) for the one .torrent this test writes; keys sorted as the format requires. */
function bencode(v: Bencodable): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string') return bencode(Buffer.from(v));
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v]);
  const keys = Object.keys(v).sort();
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.flatMap((k) => [bencode(k), bencode(v[k]!)]),
    Buffer.from('e'),
  ]);
}

interface Listed {
  id: number;
  done: string;
  status: string;
  name: string;
}

describe('transmission-remote against bitween', () => {
  const cleanup = new Cleanup();
  let root: string;
  let url: string;
  let rpc: JsonRpcClient;

  /** transmission-remote with the api's URL and Basic auth; resolves with stdout, rejects on a non-zero exit. */
  const remote = (...args: string[]) => transmissionRemote(url, TOKEN, ...args);

  /** `-l` parsed: `ID Done Have ETA Up Down Ratio Status Name`, the Sum line left out. */
  async function list(): Promise<Listed[]> {
    const out = await remote('-l');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^\s*ID\s+Done\s+Have\s+ETA\s+Up\s+Down\s+Ratio\s+Status\s+Name\s*$/);
    const statusAt = lines[0]!.indexOf('Status');
    const nameAt = lines[0]!.indexOf('Name');
    return lines
      .slice(1)
      .filter((l) => /^\s*\d+/.test(l))
      .map((l) => {
        const [id, done] = l.trim().split(/\s+/);
        return {
          id: Number(id!.replace('*', '')),
          done: done!,
          status: l.slice(statusAt, nameAt).trim(),
          name: l.slice(nameAt).trim(),
        };
      });
  }

  const byName = async (name: string) => (await list()).find((t) => t.name === name);

  beforeAll(async () => {
    root = await makeTempDir('transmission-remote');
    cleanup.add('temp dir', () => removeTempDir(root));
    await mkdir(join(root, 'shares'), { recursive: true });
    const nats = await startNats(cleanup);
    await startService(cleanup, {
      name: 'torrent-engine',
      label: 'tr-remote-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'tr-engine-1',
        downloads: join(root, 'downloads'),
        state: join(root, 'state'),
        // Files under the test's folder may be shared (the default allows only the download dir).
        extra: { BITWEEN_ALLOWED_PATHS: root },
      }),
    });
    const api = await startApi(cleanup, { label: 'tr-remote-api', natsUrl: nats.url, token: TOKEN });
    // HOST:PORT: transmission-remote then posts to /transmission/rpc/ (given a URL, it appends rpc/ itself).
    url = `127.0.0.1:${api.port}`;
    rpc = api.rpc;
  });
  afterAll(() => cleanup.run());

  it('refuses a wrong password', async () => {
    await expect(transmissionRemote(url, 'wrong-password', '-l')).rejects.toThrow(/401/);
  });

  it('lists a shared file as done', async () => {
    await writeRandomFile(join(root, 'shares', 'holiday.bin'), 300_000);
    expect(await rpc.result('bt.add_path', { path: join(root, 'shares', 'holiday.bin') })).toBe(true);
    const listed = await waitFor(() => byName('holiday.bin'), {
      what: 'holiday.bin in transmission-remote -l',
    });
    expect(listed).toMatchObject({ done: '100%' });
    expect(['Idle', 'Seeding']).toContain(listed.status);
    // -i (info) of that torrent by its id shows its hash.
    const info = await remote('-t', String(listed.id), '-i');
    expect(info).toMatch(/Name: holiday\.bin/);
    expect(info).toMatch(/Hash: [0-9a-f]{40}/);
  });

  it('adds a magnet link (metadata pending: listed by its hash)', async () => {
    const hash = randomBytes(20).toString('hex');
    const out = await remote('-a', `magnet:?xt=urn:btih:${hash}`);
    expect(out).toMatch(/responded: "success"/);
    const listed = await waitFor(() => byName(hash), { what: 'the magnet in the list' });
    expect(listed.done).toMatch(/^(0%|n\/a)$/);
    // Adding it again is a duplicate, not a second torrent.
    await remote('-a', `magnet:?xt=urn:btih:${hash}`).catch(() => '');
    expect((await list()).filter((t) => t.name === hash)).toHaveLength(1);
  });

  it('removes a torrent (-r): gone from the list, the shared file stays', async () => {
    const file = join(root, 'shares', 'keep.bin');
    await writeRandomFile(file, 100_000);
    expect(await rpc.result('bt.add_path', { path: file })).toBe(true);
    const listed = await waitFor(() => byName('keep.bin'), { what: 'keep.bin listed' });
    expect(await remote('-t', String(listed.id), '-r')).toMatch(/responded: "success"/);
    await waitFor(async () => !(await byName('keep.bin')), { what: 'keep.bin to leave the list' });
    await access(file);
  });

  it('sets file priorities (-ph, -pl, -pn) and shows them (-if, -i)', async () => {
    const folder = join(root, 'shares', 'album');
    await mkdir(folder, { recursive: true });
    for (const name of ['1.bin', '2.bin', '3.bin']) await writeRandomFile(join(folder, name), 20_000);
    expect(await rpc.result('bt.add_path', { path: folder })).toBe(true);
    const listed = await waitFor(() => byName('album'), { what: 'album listed' });
    const id = String(listed.id);
    /** `-if` rows: `#: Done Priority Get Size Name`, as {name: priority}. */
    const priorities = async (): Promise<Record<string, string>> => {
      const out = await remote('-t', id, '-if');
      const rows = out.matchAll(
        /^\s*\d+:\s+\S+\s+(High|Normal|Low)\s+(?:Yes|No)\s+.*?album\/(\d\.bin)\s*$/gm,
      );
      return Object.fromEntries([...rows].map((m): [string, string] => [m[2]!, m[1]!]));
    };
    expect(await priorities()).toEqual({ '1.bin': 'Normal', '2.bin': 'Normal', '3.bin': 'Normal' });
    expect(await remote('-t', id, '-ph', '0')).toMatch(/responded: "success"/);
    expect(await remote('-t', id, '-pl', '2')).toMatch(/responded: "success"/);
    expect(await priorities()).toEqual({ '1.bin': 'High', '2.bin': 'Normal', '3.bin': 'Low' });
    // -i's summary is about the whole torrent; it still answers for a torrent with priorities.
    expect(await remote('-t', id, '-i')).toMatch(/Name: album/);
    // `all`: an empty list, every file (as Transmission reads it).
    expect(await remote('-t', id, '-pn', 'all')).toMatch(/responded: "success"/);
    expect(await priorities()).toEqual({ '1.bin': 'Normal', '2.bin': 'Normal', '3.bin': 'Normal' });
    // An index past the last file is refused.
    await expect(remote('-t', id, '-ph', '7')).rejects.toThrow(/out of range/);
  });

  it('keeps the ids of the other torrents stable', async () => {
    const before = await list();
    const after = await list();
    expect(after.map((t) => [t.id, t.name])).toEqual(before.map((t) => [t.id, t.name]));
  });

  /* Through the engine controls: engine.pause, engine.resume, engine.add-torrent-file and
     engine.remove{deleteData}. */
  describe('engine controls', () => {
    it('stops (-S) and starts (-s) a torrent', async () => {
      const listed = await waitFor(() => byName('holiday.bin'), { what: 'holiday.bin listed' });
      expect(await remote('-t', String(listed.id), '-S')).toMatch(/responded: "success"/);
      await waitFor(async () => (await byName('holiday.bin'))?.status === 'Stopped', {
        what: 'holiday.bin to show Stopped',
      });
      expect(await remote('-t', String(listed.id), '-s')).toMatch(/responded: "success"/);
      await waitFor(async () => ['Idle', 'Seeding'].includes((await byName('holiday.bin'))?.status ?? ''), {
        what: 'holiday.bin to run again',
      });
    });

    it('adds a .torrent file (-a PATH: transmission-remote sends it as metainfo)', async () => {
      const content = randomBytes(40_000);
      const pieceLength = 16_384;
      const pieces: Buffer[] = [];
      for (let at = 0; at < content.length; at += pieceLength) {
        pieces.push(
          createHash('sha1')
            .update(content.subarray(at, at + pieceLength))
            .digest(),
        );
      }
      const metainfo = bencode({
        info: {
          length: content.length,
          name: 'uploaded.bin',
          'piece length': pieceLength,
          pieces: Buffer.concat(pieces),
        },
      });
      const file = join(root, 'uploaded.torrent');
      await writeFile(file, metainfo);
      expect(await remote('-a', file)).toMatch(/responded: "success"/);
      const listed = await waitFor(() => byName('uploaded.bin'), { what: 'uploaded.bin listed' });
      expect(listed.done).toBe('0%');
    });

    it('removes a torrent with its data (--remove-and-delete)', async () => {
      const file = join(root, 'shares', 'gone.bin');
      await writeRandomFile(file, 50_000);
      expect(await rpc.result('bt.add_path', { path: file })).toBe(true);
      const listed = await waitFor(() => byName('gone.bin'), { what: 'gone.bin listed' });
      expect(await remote('-t', String(listed.id), '--remove-and-delete')).toMatch(/responded: "success"/);
      await waitFor(async () => !(await byName('gone.bin')), { what: 'gone.bin to leave the list' });
      await waitFor(
        () =>
          access(file).then(
            () => false,
            () => true,
          ),
        { what: 'gone.bin deleted from disk' },
      );
    });
  });
});
