import { createLogger } from '@bitween/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListCheck } from './list-check.js';

const log = createLogger('list-check-test', 'silent');

describe('ListCheck', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('asks for every given contact each round, 75-125 % of the period apart, until stopped', () => {
    // The jitter is random: pin it to each end of its range so the rounds' times are known.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0); // 75 %
    const checked: string[] = [];
    let contacts = ['a@x', 'b@x'];
    const lc = new ListCheck({
      intervalMs: 10_000,
      log,
      contacts: () => contacts,
      check: (j) => checked.push(j),
    });
    lc.start();
    lc.start(); // idempotent: one timer
    vi.advanceTimersByTime(7_499);
    expect(checked).toEqual([]);
    random.mockReturnValue(0.75); // the next round: 112.5 %
    vi.advanceTimersByTime(1);
    expect(checked).toEqual(['a@x', 'b@x']);
    contacts = ['b@x'];
    vi.advanceTimersByTime(11_249);
    expect(checked).toEqual(['a@x', 'b@x']);
    vi.advanceTimersByTime(1);
    expect(checked).toEqual(['a@x', 'b@x', 'b@x']);
    lc.stop();
    vi.advanceTimersByTime(100_000);
    expect(checked).toHaveLength(3);
  });

  it('never runs with a period of 0', () => {
    const check = vi.fn();
    const lc = new ListCheck({ intervalMs: 0, log, contacts: () => ['a@x'], check });
    lc.start();
    vi.advanceTimersByTime(10_000_000);
    expect(check).not.toHaveBeenCalled();
  });
});
