import { describe, expect, it } from 'vitest';
import { planQueue, queueCompare, queueMove, type QueueCandidate } from './queue.js';

const t = (hash: string, addedAt: number, more: Partial<QueueCandidate> = {}): QueueCandidate => ({
  hash,
  addedAt,
  incomplete: true,
  paused: false,
  failed: false,
  ...more,
});

describe('planQueue', () => {
  it('lets every download run without a limit', () => {
    const plan = planQueue([t('a', 1), t('b', 2)], null);
    expect([...plan.active]).toEqual(['a', 'b']);
    expect(plan.queued.size).toBe(0);
  });

  it('runs the oldest downloads and queues the rest in the order they were added', () => {
    const plan = planQueue([t('c', 3), t('a', 1), t('d', 4), t('b', 2)], 2);
    expect([...plan.active]).toEqual(['a', 'b']);
    expect([...plan.queued]).toEqual(['c', 'd']);
  });

  it('gives no slot to seeding, paused or failed torrents', () => {
    const plan = planQueue(
      [
        t('seed', 0, { incomplete: false }),
        t('paused', 1, { paused: true }),
        t('failed', 2, { failed: true }),
        t('x', 3),
        t('y', 4),
      ],
      1,
    );
    expect([...plan.active]).toEqual(['x']);
    expect([...plan.queued]).toEqual(['y']);
  });

  it('starts the next queued download when one completes', () => {
    const all = [t('a', 1), t('b', 2), t('c', 3)];
    expect([...planQueue(all, 1).active]).toEqual(['a']);
    all[0]!.incomplete = false;
    expect([...planQueue(all, 1).active]).toEqual(['b']);
  });

  it('breaks ties by hash so the plan does not flap', () => {
    expect([...planQueue([t('b', 1), t('a', 1)], 1).active]).toEqual(['a']);
  });
});

describe('queue moves', () => {
  const items = [
    { hash: 'a', addedAt: 1 },
    { hash: 'b', addedAt: 2 },
    { hash: 'c', addedAt: 3 },
  ];
  const after = (hash: string, to: 'top' | 'up' | 'down' | 'bottom') => {
    const moved = queueMove(items, hash, to);
    return [...items]
      .map((c) => ({ ...c, order: moved.get(c.hash) }))
      .sort(queueCompare)
      .map((c) => c.hash)
      .join('');
  };

  it('top, up, down, bottom', () => {
    expect(after('c', 'top')).toBe('cab');
    expect(after('c', 'up')).toBe('acb');
    expect(after('a', 'down')).toBe('bac');
    expect(after('a', 'bottom')).toBe('bca');
    expect(after('a', 'up')).toBe('abc');
    expect(after('c', 'bottom')).toBe('abc');
    expect(queueMove(items, 'x', 'top').size).toBe(0);
  });

  it('the download slots follow the queue order', () => {
    const c = (hash: string, addedAt: number, order?: number) => ({
      hash,
      addedAt,
      order,
      incomplete: true,
      paused: false,
      failed: false,
    });
    expect([...planQueue([c('a', 1), c('b', 2, 0)], 1).active]).toEqual(['b']);
  });
});
