import { describe, expect, it } from 'vitest';
import { friendShares, shareMatcher } from './friends.js';

const H = (c: string) => c.repeat(40);

describe('friendShares', () => {
  it('lists each hash once with all who offer it, sorted by name', () => {
    const shares = friendShares([
      {
        jid: 'a@x',
        receivedAt: 0,
        resources: [
          { resource: 'r1', online: true, endpoints: [], shares: [{ hash: H('b'), name: 'zeta', size: 1 }] },
          { resource: 'r2', online: false, endpoints: [], shares: [{ hash: H('b'), name: 'zeta', size: 1 }] },
        ],
      },
      {
        jid: 'c@x',
        receivedAt: 0,
        resources: [
          { resource: 'r', online: true, endpoints: [], shares: [{ hash: H('a'), name: 'alpha', size: 2 }] },
        ],
      },
    ]);
    expect(shares).toEqual([
      { hash: H('a'), name: 'alpha', size: 2, sources: [{ jid: 'c@x', resource: 'r', online: true }] },
      {
        hash: H('b'),
        name: 'zeta',
        size: 1,
        sources: [
          { jid: 'a@x', resource: 'r1', online: true },
          { jid: 'a@x', resource: 'r2', online: false },
        ],
      },
    ]);
  });
});

describe('shareMatcher', () => {
  const share = { hash: H('c'), name: 'Holiday Photos 2024.zip' };
  it('needs every word, in any case and order', () => {
    expect(shareMatcher('photos holiday')(share)).toBe(true);
    expect(shareMatcher('  HOLIDAY  ')(share)).toBe(true);
    expect(shareMatcher('holiday 2023')(share)).toBe(false);
  });
  it('matches a hash prefix of 6+ hex characters', () => {
    expect(shareMatcher('cccccc')(share)).toBe(true);
    expect(shareMatcher('ccccc')(share)).toBe(false);
  });
});
