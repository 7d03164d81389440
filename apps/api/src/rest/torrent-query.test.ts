import type { Torrent } from './resources.js';
import { describe, expect, it } from 'vitest';
import { queryTorrents, TorrentsQuery } from './torrent-query.js';

const t = (n: number, over: Partial<Torrent> = {}): Torrent =>
  ({
    hash: n.toString(16).padStart(40, '0'),
    engineId: 'e1',
    name: `item ${n}.txt`,
    size: n * 10,
    savePath: '/d',
    state: 'seeding',
    progress: 1,
    done: true,
    downloaded: 0,
    uploaded: 0,
    downloadSpeed: 0,
    uploadSpeed: 0,
    peers: 0,
    files: [],
    error: null,
    addedAt: n,
    eta: null,
    downloadLimit: null,
    uploadLimit: null,
    ...over,
  }) as Torrent;

const all = Array.from({ length: 25 }, (_, i) => t(i + 1));
const q = (raw: Record<string, string>) => TorrentsQuery.parse(raw);
const names = (r: { torrents: Torrent[] }) => r.torrents.map((x) => x.name);

describe('GET /v1/torrents query', () => {
  it('newest first by default; pages with offset and limit; total counts every match', () => {
    const r = queryTorrents(all, q({ limit: '3', offset: '2' }));
    expect(names(r)).toEqual(['item 23.txt', 'item 22.txt', 'item 21.txt']);
    expect(r.total).toBe(25);
    expect(queryTorrents(all, q({ offset: '24' })).torrents).toHaveLength(1);
    expect(queryTorrents(all, q({ offset: '99' }))).toEqual({ torrents: [], total: 25 });
  });

  it('sorts names naturally, ascending unless asked', () => {
    expect(names(queryTorrents(all, q({ sort: 'name', limit: '3' })))).toEqual([
      'item 1.txt',
      'item 2.txt',
      'item 3.txt',
    ]);
    expect(names(queryTorrents(all, q({ sort: 'size', order: 'asc', limit: '1' })))).toEqual(['item 1.txt']);
  });

  it("filters by friend (any case): downloads of that friend's shares only", () => {
    const mixed = [
      t(1, { friends: ['alice@example.org'] }),
      t(2, { friends: ['alice@example.org', 'carol@example.org'] }),
      t(3, { friends: [] }),
      t(4),
    ];
    expect(names(queryTorrents(mixed, q({ friend: 'carol@example.org' })))).toEqual(['item 2.txt']);
    const r = queryTorrents(mixed, q({ friend: 'Alice@Example.org', sort: 'name', limit: '1' }));
    expect(names(r)).toEqual(['item 1.txt']);
    expect(r.total).toBe(2);
    expect(queryTorrents(mixed, q({ friend: 'bob@example.org' }))).toEqual({ torrents: [], total: 0 });
    expect(() => q({ friend: 'not a jid' })).toThrow();
  });

  it('filters by state, label and words of the name or a hash prefix', () => {
    const mixed = [
      t(1, { state: 'paused', labels: ['films'] }),
      t(2, { state: 'downloading', downloadSpeed: 5, labels: ['films', 'hd'] }),
      t(3),
    ];
    expect(names(queryTorrents(mixed, q({ state: 'paused' })))).toEqual(['item 1.txt']);
    expect(names(queryTorrents(mixed, q({ state: 'active' })))).toEqual(['item 2.txt']);
    expect(names(queryTorrents(mixed, q({ label: 'films', sort: 'name' })))).toEqual([
      'item 1.txt',
      'item 2.txt',
    ]);
    expect(names(queryTorrents(mixed, q({ q: 'ITEM 3' })))).toEqual(['item 3.txt']);
    expect(names(queryTorrents(mixed, q({ q: '0000000000000000' })))).toHaveLength(3);
  });

  it('refuses what it does not know', () => {
    for (const bad of [
      { state: 'sleeping' },
      { sort: 'peers' },
      { order: 'up' },
      { limit: '0' },
      { offset: '-1' },
    ])
      expect(TorrentsQuery.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
