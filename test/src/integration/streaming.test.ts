import { request as httpRequest } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  type RestClient,
  RestError,
  startSlowDownload,
  writeRandomFile,
  type ServiceProcess,
} from '../harness/index.js';

/*
 * HTTP Range streaming (issue 24) with real processes: a friend's engine (its own nats-server)
 * shares a file; our node (nats-server, engine, api) downloads it through a throttling proxy
 * (so the download takes a while) and the test streams it from our api while it downloads.
 */

const KEY = 'streaming-test-api-key';
const SIZE = 24 * 1024 * 1024;

interface Torrent {
  hash: string;
  progress: number;
  files: { path: string; size: number }[];
}

describe('streaming a file over HTTP Range while it downloads', () => {
  const cleanup = new Cleanup();
  let root: string;
  let content: Buffer;
  let hash: string;
  let base: string;
  let rest: RestClient;
  let ownEngine: ServiceProcess;

  const url = (index = 0, query = '') => `${base}/v1/torrents/${hash}/files/${index}/content${query}`;
  const get = (range?: string, index = 0) =>
    fetch(url(index), { headers: { 'x-api-key': KEY, ...(range ? { range } : {}) } });

  /** The problem's detail of an error answer (for the assertion message). */
  const detail = async (res: Response) => (res.status >= 400 ? await res.text() : '');

  beforeAll(async () => {
    root = await makeTempDir('streaming');
    cleanup.add('temp dir', () => removeTempDir(root));
    // The friend shares a file; our node downloads it at 4 MB/s: the whole file takes about 6 s,
    // the stream must not wait for all of it.
    await mkdir(join(root, 'friend', 'films'), { recursive: true });
    const file = join(root, 'friend', 'films', 'holiday.mp4');
    await writeRandomFile(file, SIZE);
    content = await readFile(file);
    const download = await startSlowDownload(cleanup, {
      root,
      label: 'streaming',
      file,
      apiKey: KEY,
      bytesPerSecond: 4_000_000,
    });
    ({ hash, ownEngine } = download);
    base = download.api.url;
    rest = download.api.rest;
  });
  afterAll(() => cleanup.run());

  it('serves Range reads at 80 %, the start, the middle and the end while the file downloads', async () => {
    const before = await rest.get<Torrent>(`/v1/torrents/${hash}`);
    expect(before.progress).toBeLessThan(1);
    for (const at of [0.8, 0, 0.5]) {
      const start = Math.floor(SIZE * at);
      const res = await get(`bytes=${start}-${start + 300_000 - 1}`);
      expect(res.status, await detail(res)).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${start + 300_000 - 1}/${SIZE}`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(res.headers.get('etag')).toBe(`"${hash}-0-${SIZE}"`);
      expect(Buffer.from(await res.arrayBuffer()).equals(content.subarray(start, start + 300_000))).toBe(
        true,
      );
    }
    const tail = await get('bytes=-1000');
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(content.subarray(SIZE - 1000))).toBe(true);
  });

  it('serves the whole file (200, Content-Length) with every byte right', async () => {
    const res = await get();
    expect(res.status, await detail(res)).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(Buffer.from(await res.arrayBuffer()).equals(content)).toBe(true);
  });

  it('answers HEAD with the headers only', async () => {
    const res = await fetch(url(), { method: 'HEAD', headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  });

  it('refuses ranges outside the file (416) and unknown files and torrents (404)', async () => {
    const outside = await get(`bytes=${SIZE}-`);
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${SIZE}`);
    expect(((await outside.json()) as { code: string }).code).toBe('range_not_satisfiable');
    expect((await get(undefined, 7)).status).toBe(404);
    const unknown = await fetch(`${base}/v1/torrents/${'ab'.repeat(20)}/files/0/content`, {
      headers: { 'x-api-key': KEY },
    });
    expect(unknown.status).toBe(404);
    expect((await fetch(url())).status).toBe(401);
  });

  it('opens a signed link without the API key, for that one file only, and refuses a forged one', async () => {
    const link = await rest.post<{ url: string; token: string }>(`/v1/torrents/${hash}/files/0/link`, {
      ttlSeconds: 600,
    });
    const res = await fetch(`${base}${link.url}`, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(content.subarray(100, 200))).toBe(true);
    const forged = link.token.slice(0, -2) + (link.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(url(0, `?token=${forged}`))).status).toBe(401);
    expect((await fetch(url(1, `?token=${link.token}`))).status).toBe(401);
    await expect(rest.post(`/v1/torrents/${hash}/files/3/link`, {})).rejects.toMatchObject({ status: 404 });
    expect(RestError).toBeDefined();
  });

  it('tells the engine at once when a client goes away mid-stream', async () => {
    const closed = ownEngine.waitForLog((l) => l.msg === 'stream closed' && l.reason === 'client-gone', {
      what: "the engine's 'stream closed' (client-gone) line",
    });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(url(), { headers: { 'x-api-key': KEY } }, (res) => {
        res.once('data', () => {
          // One chunk in: hang up.
          req.destroy();
          resolve();
        });
      });
      req.once('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    const line = await closed;
    expect(line['bytes']).toBeLessThan(SIZE);
  });

  it('switches the download order by REST and by Transmission RPC (sequential_download)', async () => {
    const rarest = await rest.request<{ torrent: Torrent & { sequential: boolean } }>(
      'PATCH',
      `/v1/torrents/${hash}/download-order`,
      { sequentialDownload: false },
    );
    expect(rarest.torrent.sequential).toBe(false);
    // Transmission's session handshake, then torrent-set and torrent-get with the 4.1 field.
    const rpc = async (method: string, args: object) => {
      const call = (session = '') =>
        fetch(`${base}/transmission/rpc`, {
          method: 'POST',
          headers: {
            'x-api-key': KEY,
            'x-transmission-session-id': session,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ method, arguments: args }),
        });
      let res = await call();
      if (res.status === 409) res = await call(res.headers.get('x-transmission-session-id') ?? '');
      expect(res.status).toBe(200);
      return (await res.json()) as { result: string; arguments: { torrents?: Record<string, unknown>[] } };
    };
    const fields = ['hashString', 'sequential_download'];
    const before = await rpc('torrent-get', { ids: [hash], fields });
    expect(before.arguments.torrents?.[0]).toMatchObject({ hashString: hash, sequential_download: false });
    expect((await rpc('torrent-set', { ids: [hash], sequential_download: true })).result).toBe('success');
    const after = await rpc('torrent-get', { ids: [hash], fields });
    expect(after.arguments.torrents?.[0]).toMatchObject({ sequential_download: true });
  });

  it('serves many concurrent streams, each with its own bytes', async () => {
    const starts = Array.from(
      { length: 16 },
      (_, i) => Math.floor((SIZE - 2_000_000) * (i / 16)) + 12_345 * i,
    );
    const bodies = await Promise.all(
      starts.map(async (start) => {
        const res = await get(`bytes=${start}-${start + 2_000_000 - 1}`);
        expect(res.status).toBe(206);
        return Buffer.from(await res.arrayBuffer());
      }),
    );
    bodies.forEach((body, i) => {
      const start = starts[i]!;
      expect(body.equals(content.subarray(start, start + 2_000_000))).toBe(true);
    });
  });
});
