import { describe, expect, it } from 'vitest';
import type { FriendShare } from '../types.js';
import { pathMatcher, searchShares, toFetch, type FileListState } from './share-search.js';
import { groupShares } from './shares.js';

const H = (c: string) => c.repeat(40);
const share = (hash: string, name: string, online = true): FriendShare => ({
  hash,
  name,
  size: 1,
  sources: [{ jid: 'alice@example.org', resource: 'r', online }],
});
const ok = (...paths: string[]): FileListState => ({
  state: 'ok',
  list: { files: paths.map((path) => ({ path, size: 1 })), truncated: false, totalFiles: paths.length },
});

const groups = groupShares(
  [
    share(H('a'), 'Album'),
    share(H('b'), 'Photos 2024'),
    share(H('c'), 'Backup'),
    share(H('d'), 'Old', false),
  ],
  '',
  Infinity,
).groups;

describe('pathMatcher', () => {
  it('wants every word in the path, any case', () => {
    expect(pathMatcher('cover JPG')('scans/Cover.jpg')).toBe(true);
    expect(pathMatcher('cover png')('scans/Cover.jpg')).toBe(false);
    expect(pathMatcher('  ')('anything')).toBe(false);
  });
});

describe('searchShares', () => {
  it('finds shares by name and by files inside, with the matching paths under their share', () => {
    const lists = new Map<string, FileListState>([
      [H('a'), ok('01 intro.flac', 'scans/cover.jpg')],
      [H('b'), ok('beach.jpg', 'cover letter.pdf')],
    ]);
    const { results, matches, unsearched } = searchShares(groups, 'cover', lists);
    expect(results.map((r) => [r.share.name, r.files])).toEqual([
      ['Album', ['scans/cover.jpg']],
      ['Photos 2024', ['cover letter.pdf']],
    ]);
    expect({ matches, unsearched }).toEqual({ matches: 2, unsearched: 0 });
  });

  it('lists name matches first, then inside matches, and cuts the paths shown', () => {
    const lists = new Map<string, FileListState>([[H('a'), ok('backup/1', 'backup/2', 'backup/3')]]);
    const { results } = searchShares(groups, 'backup', lists, 200, 2);
    expect(results.map((r) => r.share.name)).toEqual(['Backup', 'Album']);
    expect(results[1]).toMatchObject({ files: ['backup/1', 'backup/2'], fileMatches: 3 });
  });

  it('keeps a share whose file list failed, marked, after the matches', () => {
    const lists = new Map<string, FileListState>([
      [H('b'), { state: 'error', error: 'timeout: alice did not answer' }],
      [H('c'), ok('x/zebra.txt')],
    ]);
    const { results, matches, unsearched } = searchShares(groups, 'zebra', lists);
    expect(results.map((r) => [r.share.name, r.insideError])).toEqual([
      ['Backup', null],
      ['Photos 2024', 'timeout: alice did not answer'],
    ]);
    expect({ matches, unsearched }).toEqual({ matches: 1, unsearched: 1 });
  });
});

describe('toFetch', () => {
  it('takes available shares not fetched yet, up to the cap', () => {
    const lists = new Map<string, FileListState>([[H('a'), { state: 'loading' }]]);
    expect(toFetch(groups, lists).map((g) => g.share.name)).toEqual(['Backup', 'Photos 2024']);
    expect(toFetch(groups, new Map(), 2).map((g) => g.share.name)).toEqual(['Album', 'Backup']);
  });
});
