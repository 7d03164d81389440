import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  type RestClient,
  RestError,
  startSlowDownload,
  waitFor,
  writeRandomFile,
} from '../harness/index.js';

/*
 * File priorities (Transmission's high / normal / low) with real processes: a friend's engine
 * shares a folder of three files; our node downloads it through a throttling proxy, so the
 * order in which pieces arrive shows the order they were asked for. Set over REST (the round
 * trip), kept by the engine and applied to webtorrent's piece selection.
 */

const KEY = 'file-priorities-test-api-key';
/** Four 256 KiB pieces per file: files end on piece boundaries, no piece is shared. */
const FILE_SIZE = 1024 * 1024;

interface File {
  path: string;
  size: number;
  wanted: boolean;
  priority: 'high' | 'normal' | 'low';
  downloaded: number;
}

describe('file priorities', () => {
  const cleanup = new Cleanup();
  let hash: string;
  let rest: RestClient;
  const files = async () => (await rest.get<{ files: File[] }>(`/v1/torrents/${hash}`)).files;
  const indexOf = (list: File[], name: string) => list.findIndex((f) => f.path.endsWith(name));

  beforeAll(async () => {
    const root = await makeTempDir('file-priorities');
    cleanup.add('temp dir', () => removeTempDir(root));
    const album = join(root, 'friend', 'album');
    await mkdir(album, { recursive: true });
    // In the torrent's order (by path): a (normal), b (low), c (high). Without priorities the
    // pieces come in that order (sequential download, the default).
    for (const name of ['a-normal.bin', 'b-low.bin', 'c-high.bin']) {
      await writeRandomFile(join(album, name), FILE_SIZE);
    }
    const download = await startSlowDownload(cleanup, {
      root,
      label: 'file-priorities',
      file: album,
      apiKey: KEY,
      bytesPerSecond: 150_000,
    });
    hash = download.hash;
    rest = download.api.rest;
  });
  afterAll(() => cleanup.run());

  it('sets priorities over REST and answers them in the file resource', async () => {
    const before = await files();
    expect(before.map((f) => f.priority)).toEqual(['normal', 'normal', 'normal']);
    const b = indexOf(before, 'b-low.bin');
    const c = indexOf(before, 'c-high.bin');
    const { torrent } = await rest.request<{ torrent: { files: File[] } }>(
      'PATCH',
      `/v1/torrents/${hash}/files`,
      {
        files: [
          { index: c, priority: 'high' },
          { index: b, priority: 'low' },
        ],
      },
    );
    expect(torrent.files[c]).toMatchObject({ priority: 'high', wanted: true });
    expect(torrent.files[b]).toMatchObject({ priority: 'low', wanted: true });
    expect((await files())[c]!.priority).toBe('high');
    // An index past the last file is refused, nothing changes.
    await expect(
      rest.request('PATCH', `/v1/torrents/${hash}/files`, { files: [{ index: 3, priority: 'low' }] }),
    ).rejects.toBeInstanceOf(RestError);
    expect((await files()).map((f) => f.priority)).toEqual(['normal', 'low', 'high']);
  });

  it('fetches the high-priority file first and the low one last', async () => {
    // The first pieces of a (asked for before the priorities were set) may come in; b's not.
    const whenHighDone = await waitFor(
      async () => {
        const list = await files();
        const c = list[indexOf(list, 'c-high.bin')]!;
        return c.downloaded === c.size ? list : null;
      },
      { what: 'the high-priority file to complete', timeoutMs: 180_000 },
    );
    const low = whenHighDone[indexOf(whenHighDone, 'b-low.bin')]!;
    const normal = whenHighDone[indexOf(whenHighDone, 'a-normal.bin')]!;
    expect(low.downloaded, 'the low-priority file started before the high one was done').toBe(0);
    expect(normal.downloaded, 'the normal file finished before the high one').toBeLessThan(normal.size);

    const whenNormalDone = await waitFor(
      async () => {
        const list = await files();
        const a = list[indexOf(list, 'a-normal.bin')]!;
        return a.downloaded === a.size ? list : null;
      },
      { what: 'the normal file to complete', timeoutMs: 180_000 },
    );
    // Pieces of b may be asked for while a's last ones are in flight, not all of them.
    const lowThen = whenNormalDone[indexOf(whenNormalDone, 'b-low.bin')]!;
    expect(lowThen.downloaded).toBeLessThan(lowThen.size);
    await waitFor(async () => (await files()).every((f) => f.downloaded === f.size), {
      what: 'every file to complete',
      timeoutMs: 180_000,
    });
  });
});
