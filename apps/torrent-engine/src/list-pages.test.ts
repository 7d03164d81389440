import { engine, type TorrentStatus } from '@bitween/messages';
import { mergeTorrentPieces } from '@bitween/bus';
import { describe, expect, it } from 'vitest';
import { listPage as listPageOfView, type ListView } from './list-pages.js';

/** Statuses already built, as a view (the engine's view builds each when its torrent goes on a page). */
const listPage = (torrents: TorrentStatus[], cursor: string | null, maxPayload: number | undefined) =>
  listPageOfView<TorrentStatus>(
    { items: torrents, addedAt: (t) => t.addedAt, hash: (t) => t.hash, status: (t) => t },
    cursor,
    maxPayload,
  );

const hash = (n: number) => n.toString(16).padStart(40, '0');

function torrent(n: number, files: number, addedAt = 1_000 + n): TorrentStatus {
  return {
    hash: hash(n),
    engineId: 'engine-1',
    name: `Album ${n}`,
    size: files * 1000,
    savePath: '/data/downloads',
    state: 'seeding',
    progress: 1,
    done: true,
    downloaded: files * 1000,
    uploaded: 0,
    downloadSpeed: 0,
    uploadSpeed: 0,
    peers: 0,
    files: Array.from({ length: files }, (_, f) => ({
      path: `Album ${n}/${String(f + 1).padStart(4, '0')} - a track with a long enough title.flac`,
      size: 1000,
      wanted: true,
      priority: 'normal' as const,
      downloaded: 1000,
    })),
    error: null,
    addedAt,
    eta: null,
    downloadLimit: null,
    uploadLimit: null,
    trackers: [],
  };
}

/** Every page, as `fetchAllTorrents` asks for them. */
function pageAll(torrents: TorrentStatus[], maxPayload: number) {
  const pages: { torrents: TorrentStatus[]; bytes: number }[] = [];
  let cursor: string | null = null;
  do {
    const page = listPage(torrents, cursor, maxPayload);
    const wire = Buffer.byteLength(JSON.stringify(engine.list.response.parse(page)));
    pages.push({ torrents: page.torrents, bytes: wire });
    cursor = page.next;
    if (pages.length > 10_000) throw new Error('paging does not end');
  } while (cursor !== null);
  return pages;
}

describe('engine.list pages', () => {
  it('answers an empty engine with one empty last page', () => {
    expect(listPage([], null, 1024 * 1024)).toEqual({ torrents: [], next: null });
  });

  it('keeps 1,000 torrents of 12 files (~1.9 MB) within the default max payload, in order of adding', () => {
    const torrents = Array.from({ length: 1000 }, (_, n) => torrent(n, 12)).reverse();
    const pages = pageAll(torrents, 1024 * 1024);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const p of pages) expect(p.bytes).toBeLessThan(1024 * 1024);
    const merged = mergeTorrentPieces(pages.flatMap((p) => p.torrents));
    expect(merged).toEqual([...torrents].sort((a, b) => a.addedAt - b.addedAt));
  });

  it('cuts one torrent with 20,000 files across pages and merges its files back in order', () => {
    const big = torrent(7, 20_000);
    const torrents = [torrent(1, 3), big, torrent(9, 2)];
    const pages = pageAll(torrents, 1024 * 1024);
    expect(pages.filter((p) => p.torrents.some((t) => t.hash === big.hash)).length).toBeGreaterThanOrEqual(2);
    for (const p of pages) expect(p.bytes).toBeLessThan(1024 * 1024);
    expect(mergeTorrentPieces(pages.flatMap((p) => p.torrents))).toEqual(torrents);
  });

  it('orders torrents added in the same millisecond by hash, and skips a removed one', () => {
    const torrents = [torrent(3, 200, 5), torrent(2, 200, 5), torrent(1, 200, 5)];
    const first = listPage(torrents, null, 80 * 1024); // a 16 KiB budget: less than one torrent
    expect(first.torrents.map((t) => t.hash)).toEqual([hash(1)]);
    expect(first.torrents[0]!.files.length).toBeLessThan(200);
    // The torrent the cursor points into is removed: the next page goes on with the one after it.
    const rest = listPage(
      torrents.filter((t) => t.hash !== hash(1)),
      first.next,
      10 * 1024 * 1024,
    );
    expect(rest).toEqual({ torrents: [torrent(2, 200, 5), torrent(3, 200, 5)], next: null });
  });

  it('builds the status of the torrents on the page only (and of the one that ends it)', () => {
    // 10,000 one-file torrents are ~10 pages: a status built for every torrent on each page
    // made listing them all cost ~10 × 10,000 statuses.
    const torrents = Array.from({ length: 10_000 }, (_, n) => torrent(n, 1)).reverse();
    let built = 0;
    const view: ListView<TorrentStatus> = {
      items: torrents,
      addedAt: (t) => t.addedAt,
      hash: (t) => t.hash,
      status: (t) => (built++, t),
    };
    const pages: TorrentStatus[][] = [];
    let cursor: string | null = null;
    do {
      const before = built;
      const page: ReturnType<typeof listPageOfView> = listPageOfView(view, cursor, 1024 * 1024);
      expect(built - before).toBeLessThanOrEqual(page.torrents.length + 1);
      pages.push(page.torrents);
      cursor = page.next;
    } while (cursor !== null);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(built).toBeLessThan(torrents.length + pages.length);
    expect(mergeTorrentPieces(pages.flat())).toEqual([...torrents].reverse());
  });

  it('refuses a cursor it did not issue', () => {
    expect(() => listPage([], 'not-a-cursor', 1024 * 1024)).toThrow(/not a cursor this engine issued/);
  });
});
