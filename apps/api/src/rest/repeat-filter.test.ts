import { describe, expect, it } from 'vitest';
import { RepeatFilter } from './repeat-filter.js';

const h = (c: string) => c.repeat(40);
const peers = (entries: [string, number][], ownPublic: string[] = []) => ({
  type: 'xmpp.peers',
  data: {
    peers: entries.map(([hash, port]) => ({ hash, endpoints: [{ address: '203.0.113.5', port }] })),
    ownPublic,
  },
});

describe('RepeatFilter', () => {
  it('forwards the first peers chunk and every change, drops exact repeats', () => {
    const f = new RepeatFilter();
    expect(f.isRepeat(peers([[h('a'), 1]]))).toBe(false);
    expect(f.isRepeat(peers([[h('a'), 1]]))).toBe(true);
    expect(f.isRepeat(peers([[h('a'), 2]]))).toBe(false);
    // Back to the first value: a change again.
    expect(f.isRepeat(peers([[h('a'), 1]]))).toBe(false);
    expect(f.isRepeat(peers([[h('a'), 1]], ['198.51.100.1']))).toBe(false);
  });

  it('tells chunks apart by their hashes (a list sent in several chunks)', () => {
    const f = new RepeatFilter();
    expect(f.isRepeat(peers([[h('a'), 1]]))).toBe(false);
    expect(f.isRepeat(peers([[h('b'), 1]]))).toBe(false);
    expect(f.isRepeat(peers([[h('a'), 1]]))).toBe(true);
    expect(f.isRepeat(peers([[h('b'), 1]]))).toBe(true);
  });

  it('never drops other events or malformed ones', () => {
    const f = new RepeatFilter();
    const e = { type: 'torrent.progress', data: { hash: h('a') } };
    expect(f.isRepeat(e)).toBe(false);
    expect(f.isRepeat(e)).toBe(false);
    expect(f.isRepeat({ type: 'xmpp.peers', data: null })).toBe(false);
    expect(f.isRepeat({ type: 'xmpp.peers', data: null })).toBe(false);
  });

  it('remembers a bounded number of chunks', () => {
    const f = new RepeatFilter();
    for (let i = 0; i < 300; i++) f.isRepeat(peers([[i.toString(16).padStart(40, '0'), 1]]));
    // The oldest were forgotten: forwarded again.
    expect(f.isRepeat(peers([[(0).toString(16).padStart(40, '0'), 1]]))).toBe(false);
    expect(f.isRepeat(peers([[(299).toString(16).padStart(40, '0'), 1]]))).toBe(true);
  });
});
