import { describe, expect, it } from 'vitest';
import { allLabels, DEFAULT_QUERY, queryTorrents } from './torrent-list.js';
import type { Torrent } from '../types.js';

const t = (over: Partial<Torrent> & { hash: string }): Torrent => ({
  engineId: 'e1',
  name: over.hash,
  size: 100,
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
  addedAt: 1,
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  ...over,
});

const list = [
  t({
    hash: 'a'.repeat(40),
    name: 'Item 10.txt',
    size: 30,
    addedAt: 3,
    state: 'downloading',
    progress: 0.5,
    done: false,
    downloadSpeed: 5,
  }),
  t({ hash: 'b'.repeat(40), name: 'item 9.txt', size: 10, addedAt: 1 }),
  t({ hash: 'c'.repeat(40), name: 'Concert.mkv', size: null, addedAt: 2, state: 'paused' }),
  t({ hash: 'd'.repeat(40), name: null, addedAt: 4, state: 'metadata', progress: 0, done: false }),
];
const names = (ts: Torrent[]) => ts.map((x) => x.name);

describe('queryTorrents', () => {
  it('newest first by default', () => {
    expect(names(queryTorrents(list, DEFAULT_QUERY))).toEqual([
      null,
      'Item 10.txt',
      'Concert.mkv',
      'item 9.txt',
    ]);
  });

  it('sorts names naturally and case-blind, either way', () => {
    const q = { ...DEFAULT_QUERY, sort: 'name' as const, descending: false, state: 'all' as const };
    expect(names(queryTorrents(list.slice(0, 3), q))).toEqual(['Concert.mkv', 'item 9.txt', 'Item 10.txt']);
    expect(names(queryTorrents(list.slice(0, 3), { ...q, descending: true }))).toEqual([
      'Item 10.txt',
      'item 9.txt',
      'Concert.mkv',
    ]);
  });

  it('sorts by size with unknown sizes first ascending, by speed and progress', () => {
    const asc = { ...DEFAULT_QUERY, descending: false };
    expect(names(queryTorrents(list.slice(0, 3), { ...asc, sort: 'size' }))).toEqual([
      'Concert.mkv',
      'item 9.txt',
      'Item 10.txt',
    ]);
    expect(queryTorrents(list, { ...DEFAULT_QUERY, sort: 'downloadSpeed' })[0]?.name).toBe('Item 10.txt');
    expect(
      queryTorrents(list, { ...DEFAULT_QUERY, sort: 'progress', descending: false })[0]?.name,
    ).toBeNull();
  });

  it('filters by state, by every word of the name, by hash prefix', () => {
    expect(names(queryTorrents(list, { ...DEFAULT_QUERY, state: 'paused' }))).toEqual(['Concert.mkv']);
    expect(names(queryTorrents(list, { ...DEFAULT_QUERY, state: 'active' }))).toEqual(['Item 10.txt']);
    expect(names(queryTorrents(list, { ...DEFAULT_QUERY, state: 'waiting' }))).toEqual([null]);
    expect(names(queryTorrents(list, { ...DEFAULT_QUERY, name: 'ITEM txt 9' }))).toEqual(['item 9.txt']);
    expect(names(queryTorrents(list, { ...DEFAULT_QUERY, name: 'cccc' }))).toEqual(['Concert.mkv']);
    expect(queryTorrents(list, { ...DEFAULT_QUERY, name: 'nothing' })).toEqual([]);
  });

  it('filters by label where the daemon reports labels', () => {
    const labelled = [{ ...list[0]!, labels: ['films', 'hd'] }, { ...list[1]!, labels: ['books'] }, list[2]!];
    expect(allLabels(labelled)).toEqual(['books', 'films', 'hd']);
    expect(names(queryTorrents(labelled, { ...DEFAULT_QUERY, label: 'hd' }))).toEqual(['Item 10.txt']);
  });
});
