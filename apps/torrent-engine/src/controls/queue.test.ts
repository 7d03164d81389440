import { describe, expect, it } from 'vitest';
import { planQueue, type QueueCandidate } from './queue.js';

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
