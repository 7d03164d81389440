import { describe, expect, it } from 'vitest';
import type { FriendShare } from '../types.js';
import { byFriend, groupShares, offersOf, shareMatcher } from './shares.js';

const H = (c: string) => c.repeat(40);
const share = (hash: string, name: string, sources: FriendShare['sources'], size = 100): FriendShare => ({
  hash,
  name,
  size,
  sources,
});

const alice = (online: boolean, resource = 'bitween/engine-1') => ({
  jid: 'alice@example.org',
  resource,
  online,
});
const carol = (online: boolean) => ({ jid: 'carol@example.org', resource: 'bitween/engine-1', online });

describe('offersOf', () => {
  it('folds a friend’s instances into one offer, online if any instance is', () => {
    const s = share(H('a'), 'x', [alice(false, 'home/e1'), carol(false), alice(true, 'laptop/e1')]);
    expect(offersOf(s)).toEqual([
      { jid: 'alice@example.org', online: true, resources: ['home/e1', 'laptop/e1'] },
      { jid: 'carol@example.org', online: false, resources: ['bitween/engine-1'] },
    ]);
  });
});

describe('shareMatcher', () => {
  const m = (q: string) =>
    shareMatcher(q)({ hash: 'deadbeef'.padEnd(40, '0'), name: 'Holiday Photos 2026.zip' });
  it('needs every word, in any case and order', () => {
    expect(m('holiday')).toBe(true);
    expect(m('PHOTOS holi')).toBe(true);
    expect(m('holiday video')).toBe(false);
  });
  it('matches a hash prefix of at least 6 hex characters', () => {
    expect(m('deadbe')).toBe(true);
    expect(m('DEADBEEF')).toBe(true);
    expect(m('deadb')).toBe(false);
  });
  it('matches everything with an empty query', () => {
    expect(m('')).toBe(true);
    expect(m('   ')).toBe(true);
  });
});

describe('groupShares', () => {
  const list: FriendShare[] = [
    share(H('b'), 'concert.bin', [carol(false)]),
    share(H('a'), 'album.flac', [alice(true), carol(false)]),
    share(H('c'), 'backup.tar', [carol(false)]),
    // The same content again (e.g. from a merged answer): one group with both sources.
    share(H('b'), 'concert.bin', [alice(true)]),
  ];

  it('groups by info-hash, available content first, then by name', () => {
    const { groups, matches } = groupShares(list, '');
    expect(matches).toBe(3);
    expect(groups.map((g) => [g.share.name, g.available, g.offers.map((o) => o.jid)])).toEqual([
      ['album.flac', true, ['alice@example.org', 'carol@example.org']],
      ['concert.bin', true, ['alice@example.org', 'carol@example.org']],
      ['backup.tar', false, ['carol@example.org']],
    ]);
  });

  it('filters as the query is typed', () => {
    expect(groupShares(list, 'c').groups.map((g) => g.share.name)).toEqual([
      'album.flac',
      'concert.bin',
      'backup.tar',
    ]);
    expect(groupShares(list, 'conc').groups.map((g) => g.share.name)).toEqual(['concert.bin']);
    expect(groupShares(list, 'concert tar').groups).toEqual([]);
  });

  it('returns at most `limit` groups and the number of matches', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      share(i.toString(16).padStart(40, '0'), `file-${String(i).padStart(2, '0')}`, [alice(true)]),
    );
    const { groups, matches } = groupShares(many, 'file', 10);
    expect(matches).toBe(30);
    expect(groups.map((g) => g.share.name)).toEqual(many.slice(0, 10).map((s) => s.name));
  });
});

describe('byFriend', () => {
  it('lists each friend with the shares they offer, online friends first', () => {
    const share = (hash: string, sources: { jid: string; online: boolean }[]) => ({
      hash: hash.repeat(40),
      name: hash,
      size: 1,
      sources: sources.map((x) => ({ ...x, resource: 'r' })),
    });
    const { groups } = groupShares(
      [
        share('a', [
          { jid: 'zoe@x', online: true },
          { jid: 'bob@x', online: false },
        ]),
        share('b', [{ jid: 'bob@x', online: false }]),
      ],
      '',
    );
    const friends = byFriend(groups);
    expect(friends.map((f) => [f.jid, f.online, f.groups.map((g) => g.share.name)])).toEqual([
      ['zoe@x', true, ['a']],
      ['bob@x', false, ['a', 'b']],
    ]);
  });
});
