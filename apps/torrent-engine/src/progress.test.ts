import type { TorrentStatus } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progress.js';

const status = (over: Partial<TorrentStatus> = {}): TorrentStatus => ({
  hash: 'a'.repeat(40),
  engineId: 'e1',
  name: 'x',
  size: 10,
  savePath: '/dl',
  state: 'downloading',
  progress: 0.5,
  done: false,
  downloaded: 5,
  uploaded: 0,
  downloadSpeed: 0,
  uploadSpeed: 0,
  peers: 1,
  files: [],
  error: null,
  addedAt: 0,
  eta: null,
  downloadLimit: null,
  uploadLimit: null,
  trackers: [],
  ...over,
});

describe('ProgressTracker', () => {
  it('reports a torrent once, then only when something changes', () => {
    const p = new ProgressTracker();
    expect(p.due([status()])).toHaveLength(1);
    expect(p.due([status()])).toHaveLength(0);
    expect(p.due([status({ progress: 0.6 })])).toHaveLength(1);
    expect(p.due([status({ progress: 0.6, state: 'seeding', done: true })])).toHaveLength(1);
  });

  it('reports every tick while data moves', () => {
    const p = new ProgressTracker();
    p.due([status()]);
    expect(p.due([status({ downloadSpeed: 100 })])).toHaveLength(1);
    expect(p.due([status({ downloadSpeed: 100 })])).toHaveLength(1);
  });

  it('reports once more when data stops moving (rates back to 0), then stays quiet', () => {
    const p = new ProgressTracker();
    p.due([status({ uploaded: 10, uploadSpeed: 100 })]);
    expect(p.due([status({ uploaded: 10, uploadSpeed: 0 })])).toMatchObject([{ uploadSpeed: 0 }]);
    expect(p.due([status({ uploaded: 10, uploadSpeed: 0 })])).toHaveLength(0);
  });

  it('forgets removed torrents', () => {
    const p = new ProgressTracker();
    p.due([status()]);
    p.due([]);
    expect(p.due([status()])).toHaveLength(1);
  });

  it('builds no status for a torrent whose quiet key stays the same', () => {
    const p = new ProgressTracker();
    let built = 0;
    type Item = { quietKey: string | null; over?: Partial<TorrentStatus> };
    const tick = (item: Item) =>
      p.dueFrom<Item>({
        items: [item],
        hash: () => 'a'.repeat(40),
        quietKey: (i) => i.quietKey,
        status: (i) => (built++, status({ state: 'seeding', done: true, progress: 1, ...i.over })),
      });
    expect(tick({ quietKey: 'seeding|0|0' })).toHaveLength(1);
    expect(tick({ quietKey: 'seeding|0|0' })).toHaveLength(0);
    expect(tick({ quietKey: 'seeding|0|0' })).toHaveLength(0);
    expect(built).toBe(1);
    // A new key builds the status; an event only if its fingerprint changed.
    expect(tick({ quietKey: 'seeding|1|0', over: { peers: 2 } })).toHaveLength(1);
    expect(built).toBe(2);
    // No key (data moving, or not complete): built every tick.
    expect(tick({ quietKey: null, over: { peers: 2 } })).toHaveLength(0);
    expect(tick({ quietKey: null, over: { peers: 2 } })).toHaveLength(0);
    expect(built).toBe(4);
    // …and the key seen last is not trusted after a tick without one.
    expect(tick({ quietKey: 'seeding|1|0', over: { peers: 3 } })).toHaveLength(1);
    expect(built).toBe(5);
  });

  it('carries the fields of the contract', () => {
    const [event] = new ProgressTracker().due([status()]);
    expect(event).toEqual({
      hash: 'a'.repeat(40),
      engineId: 'e1',
      name: 'x',
      size: 10,
      state: 'downloading',
      progress: 0.5,
      done: false,
      downloaded: 5,
      uploaded: 0,
      downloadSpeed: 0,
      uploadSpeed: 0,
      peers: 1,
      eta: null,
    });
  });
});
