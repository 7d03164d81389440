import { describe, expect, it } from 'vitest';
import type { Torrent } from '../types.js';
import {
  applyProgress,
  applyProgressBatch,
  canPause,
  displayName,
  fromList,
  sortedTorrents,
  upsert,
  without,
} from './torrents.js';

const t = (hash: string, over: Partial<Torrent> = {}): Torrent => ({
  hash,
  engineId: 'e1',
  name: 'x',
  size: 10,
  savePath: '/dl',
  state: 'downloading',
  progress: 0,
  done: false,
  downloaded: 0,
  uploaded: 0,
  downloadSpeed: 0,
  uploadSpeed: 0,
  peers: 0,
  files: [{ path: 'x', size: 10, wanted: true, priority: 'normal', downloaded: 0 }],
  error: null,
  addedAt: 1,
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  ...over,
});

describe('torrent map updates', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);

  it('merges progress events into the torrent, keeping its files', () => {
    const map = fromList([t(a)]);
    const next = applyProgress(map, {
      ...t(a),
      progress: 0.5,
      downloadSpeed: 99,
      eta: 5,
      state: 'downloading',
    });
    expect(next).not.toBe(map);
    expect(next.get(a)).toMatchObject({ progress: 0.5, downloadSpeed: 99, eta: 5, files: t(a).files });
  });

  it('ignores progress of a torrent it does not hold', () => {
    const map = fromList([t(a)]);
    expect(applyProgress(map, t(b))).toBe(map);
  });

  it('merges a burst of progress events into one new map, naming unknown hashes and what changed', () => {
    const map = fromList([t(a), t(b)]);
    const c = 'c'.repeat(40);
    const r = applyProgressBatch(map, [
      { ...t(a), progress: 0.2 },
      { ...t(a), progress: 1, done: true },
      { ...t(c), progress: 0.1 },
    ]);
    expect(r.map.get(a)).toMatchObject({ progress: 1, done: true, files: t(a).files });
    expect(r.map.get(b)).toBe(map.get(b));
    expect(r.unknown).toEqual([c]);
    expect(r.changed.map((x) => [x.before.progress, x.after.progress])).toEqual([
      [0, 0.2],
      [0.2, 1],
    ]);
    expect(applyProgressBatch(map, [t(c)]).map).toBe(map);
  });

  it('adds, replaces and removes', () => {
    let map = fromList([]);
    map = upsert(map, t(a, { addedAt: 1 }));
    map = upsert(map, t(b, { addedAt: 2 }));
    expect(sortedTorrents(map).map((x) => x.hash)).toEqual([b, a]);
    map = without(map, b);
    expect([...map.keys()]).toEqual([a]);
    expect(without(map, b)).toBe(map);
  });

  it('offers pause unless paused or failed', () => {
    expect(canPause({ state: 'seeding' })).toBe(true);
    expect(canPause({ state: 'paused' })).toBe(false);
    expect(canPause({ state: 'error' })).toBe(false);
  });

  it('names a torrent by its hash until the metadata arrives', () => {
    expect(displayName({ hash: a, name: null })).toMatch(/^aaaaaaaaaaaa… /);
    expect(displayName({ hash: a, name: 'song.ogg' })).toBe('song.ogg');
  });
});
