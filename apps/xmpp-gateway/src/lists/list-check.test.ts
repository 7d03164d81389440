import { createLogger } from '@bitween/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListCheck } from './list-check.js';

const log = createLogger('list-check-test', 'silent');

describe('ListCheck', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks for every given contact each round, 75-125 % of the period apart, until stopped', () => {
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
    vi.advanceTimersByTime(5_001);
    expect(checked).toEqual(['a@x', 'b@x']);
    contacts = ['b@x'];
    vi.advanceTimersByTime(12_500);
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
