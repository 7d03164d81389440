import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, FILES_IN_REPLY, type FilesPage, type TorrentStatus } from '@bitween/messages';
import { fetchAllTorrents } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  startApi,
  startTestEngine,
  waitFor,
  type TestEngine,
} from '../harness/index.js';

const FILES = 100_000;
const name = (i: number) => `photo-${String(i).padStart(6, '0')}.jpg`;

/**
 * A folder of 100,000 files shared by a real engine at nats-server's default max_payload
 * (1 MiB): the add's reply, `torrent.added` and the other single-torrent replies carry the first
 * files and the count, `engine.files` pages through all of them, and no message on the server
 * comes near max_payload (every message is watched by a `>` subscription).
 */
describe('a torrent of 100,000 files', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let hash: string;
  let largest = { bytes: 0, subject: '' };
  let maxPayload: number;

  beforeAll(async () => {
    root = await makeTempDir('many-files');
    alice = await startTestEngine(cleanup, { root, id: 'alice' });
    const nc = alice.bus.nc;
    maxPayload = nc.info!.max_payload;
    const everything = nc.subscribe('>', {
      callback: (_err, msg) => {
        if (msg.data.length > largest.bytes) largest = { bytes: msg.data.length, subject: msg.subject };
      },
    });
    cleanup.add('watch every message', () => everything.unsubscribe());
    // Tiny files (a few bytes each): creating them is what takes the time, not hashing.
    const folder = join(root, 'alice', 'photos');
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < FILES; i += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, j) => writeFile(join(folder, name(i + j)), String(i + j))),
      );
    }
  }, 600_000);
  afterAll(() => cleanup.run());

  it('shares it: the reply and torrent.added carry the first files and the count', async () => {
    const added: TorrentStatus[] = [];
    const sub = alice.bus.subscribe(engine.added, ({ torrent }) => void added.push(torrent));
    cleanup.add('added events', () => sub.unsubscribe());
    const r = await alice.bus.request(
      engine.addPath,
      { path: join(root, 'alice', 'photos') },
      { timeoutMs: 600_000 },
    );
    if (!r.ok) throw r.error;
    hash = r.value.torrent.hash;
    expect(r.value.torrent.files).toHaveLength(FILES_IN_REPLY);
    expect(r.value.torrent.fileCount).toBe(FILES);
    expect(r.value.torrent.files[0]?.path).toBe(`photos/${name(0)}`);
    const event = await waitFor(() => added.find((t) => t.hash === hash), {
      what: 'torrent.added for the folder',
    });
    expect(event.files).toHaveLength(FILES_IN_REPLY);
    expect(event.fileCount).toBe(FILES);
  }, 900_000);

  it('pages through every file with engine.files', async () => {
    const filesAt = async (offset: number): Promise<FilesPage> => {
      const r = await alice.bus.request(
        engine.files,
        { hash, offset },
        { params: { engineId: 'alice' }, timeoutMs: 60_000 },
      );
      if (!r.ok) throw r.error;
      return r.value;
    };
    const paths: string[] = [];
    let pages = 0;
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await filesAt(offset);
      expect(page.offset).toBe(offset);
      expect(page.fileCount).toBe(FILES);
      for (const f of page.files) paths.push(f.path);
      offset = page.next;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(paths).toHaveLength(FILES);
    expect(new Set(paths).size).toBe(FILES);
    expect(paths[FILES - 1]).toBe(`photos/${name(FILES - 1)}`);
    // Past the end: an empty last page; an unknown torrent: not_found.
    const after = await alice.bus.request(
      engine.files,
      { hash, offset: FILES + 5 },
      { params: { engineId: 'alice' } },
    );
    expect(after.ok && after.value).toMatchObject({ files: [], next: null, fileCount: FILES });
    const unknown = await alice.bus.request(
      engine.files,
      { hash: 'f'.repeat(40) },
      { params: { engineId: 'alice' } },
    );
    expect(!unknown.ok && unknown.error.code).toBe('not_found');
  }, 300_000);

  it('answers the other single-torrent commands with the bounded status, and lists every file', async () => {
    const paused = await alice.bus.request(engine.pause, { hash }, { params: { engineId: 'alice' } });
    if (!paused.ok) throw paused.error;
    expect(paused.value.torrent.files).toHaveLength(FILES_IN_REPLY);
    expect(paused.value.torrent.fileCount).toBe(FILES);
    const set = await alice.bus.request(
      engine.setFiles,
      { hash, files: [{ index: FILES - 1, wanted: false }] },
      { params: { engineId: 'alice' } },
    );
    if (!set.ok) throw set.error;
    expect(set.value.torrent.fileCount).toBe(FILES);
    const last = await alice.bus.request(
      engine.files,
      { hash, offset: FILES - 1 },
      { params: { engineId: 'alice' } },
    );
    expect(last.ok && last.value.files[0]?.wanted).toBe(false);
    const listed = await fetchAllTorrents(alice.bus, 'alice', { timeoutMs: 60_000 });
    if (!listed.ok) throw listed.error;
    expect(listed.value.find((t) => t.hash === hash)?.files).toHaveLength(FILES);
  }, 300_000);

  it('lets a Transmission client unselect every file through the api (set-files sent in chunks)', async () => {
    const api = await startApi(cleanup, {
      label: 'many-files-api',
      natsUrl: alice.env['BITWEEN_NATS_URL']!,
      dataDir: join(root, 'api'),
    });
    const call = (body: unknown, session = '') =>
      fetch(`${api.url}/transmission/rpc`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`me:${api.key}`).toString('base64')}`,
          'x-transmission-session-id': session,
        },
        body: JSON.stringify(body),
      });
    const rpc = async (body: unknown) => {
      let res = await call(body);
      if (res.status === 409) res = await call(body, res.headers.get('x-transmission-session-id') ?? '');
      expect(res.status).toBe(200);
      return (await res.json()) as { result: string };
    };
    // Every index: ~3 MB of engine.set-files entries, more than one NATS message.
    const unwanted = Array.from({ length: FILES }, (_, i) => i);
    const set = await rpc({ method: 'torrent-set', arguments: { ids: [hash], 'files-unwanted': unwanted } });
    expect(set.result).toBe('success');
    const first = await alice.bus.request(
      engine.files,
      { hash, offset: 0 },
      { params: { engineId: 'alice' } },
    );
    expect(first.ok && first.value.files.every((f) => !f.wanted)).toBe(true);
    const last = await alice.bus.request(
      engine.files,
      { hash, offset: FILES - 1 },
      { params: { engineId: 'alice' } },
    );
    expect(last.ok && last.value.files[0]?.wanted).toBe(false);
  }, 300_000);

  it('sent no message near max_payload', () => {
    // Paged answers fill up to max_payload less an eighth (pageBudget); nothing came near the limit.
    expect(largest.bytes, `largest: ${largest.subject}`).toBeGreaterThan(0);
    expect(largest.bytes, `largest: ${largest.subject}`).toBeLessThanOrEqual(maxPayload * 0.9);
  });
});
