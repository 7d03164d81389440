import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FriendShare } from './share-index.js';
import { loweredMatcher } from './friends.js';
import { ShareIndex } from './share-index.js';

const WORDS = ['Holiday', 'backup', 'MUSIC', 'Album', 'photos', 'talk', 'Ünïcode', 'x', 'ab', 'linux'];

function shares(count: number): FriendShare[] {
  return Array.from({ length: count }, (_, i) => ({
    hash: createHash('sha1').update(String(i)).digest('hex'),
    name: `${WORDS[i % WORDS.length]}-${i % 7} ${WORDS[(i * 3) % WORDS.length]} ${i}.tar`,
    size: i,
    sources: [],
  })).sort((a, b) => a.name.localeCompare(b.name) || a.hash.localeCompare(b.hash));
}

describe('ShareIndex', () => {
  const all = shares(5000);
  const index = new ShareIndex(all);
  /** What a full scan of every name finds: the index must find exactly this. */
  const scan = (q: string, limit = Infinity) => {
    const matches = loweredMatcher(q);
    return all.filter((s) => matches(s.hash, s.name.toLowerCase())).slice(0, limit);
  };

  it('finds what a scan finds, in name order, for any query', () => {
    const queries = [
      'holiday',
      'HOLIDAY-3',
      'photos holiday',
      'album 12',
      'x',
      'ab',
      'ab x',
      'ünïcode',
      '.tar',
      'no-such-name',
      '1234',
      'olid',
      all[42]!.hash.slice(0, 8),
      all[42]!.hash,
      'abcdef',
      '  talk   music ',
    ];
    for (const q of queries) {
      expect(
        index.search(q).map((s) => s.hash),
        q,
      ).toEqual(scan(q).map((s) => s.hash));
      expect(
        index.search(q, 7).map((s) => s.hash),
        `${q} limit 7`,
      ).toEqual(scan(q, 7).map((s) => s.hash));
    }
  });

  it('finds a share by a hash prefix and answers everything for an empty query', () => {
    expect(index.search(all[7]!.hash.slice(0, 10))).toContainEqual(all[7]);
    expect(index.search('', 3)).toEqual(all.slice(0, 3));
    expect(new ShareIndex([]).search('holiday')).toEqual([]);
  });
});
