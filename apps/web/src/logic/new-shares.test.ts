import { describe, expect, it } from 'vitest';
import { newShares } from './new-shares.js';
import type { FriendShare } from '../types.js';

const s = (hash: string): FriendShare => ({
  hash: hash.repeat(40),
  name: hash,
  size: 1,
  sources: [{ jid: 'alice@example.org', resource: 'r', online: true }],
});

describe('newShares', () => {
  it('names shares whose hash was not there before; the first load is nothing new', () => {
    expect(newShares(null, [s('a')])).toEqual([]);
    expect(newShares([s('a')], [s('a'), s('b')])).toEqual([s('b')]);
    expect(newShares([s('a'), s('b')], [s('a')])).toEqual([]);
  });
});
