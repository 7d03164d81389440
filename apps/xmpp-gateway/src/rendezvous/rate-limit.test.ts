import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter (token bucket per key)', () => {
  it('allows a burst, then one per interval, per key', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(5, 2_000, () => now);
    const five = Array.from({ length: 5 }, () => limiter.take('mallory@example.org'));
    expect(five).toEqual([true, true, true, true, true]);
    expect(limiter.take('mallory@example.org')).toBe(false);
    expect(limiter.take('bob@example.org')).toBe(true); // another contact has its own bucket
    now += 1_999;
    expect(limiter.take('mallory@example.org')).toBe(false);
    now += 1;
    expect(limiter.take('mallory@example.org')).toBe(true);
    expect(limiter.take('mallory@example.org')).toBe(false);
    now += 60_000; // refills to the burst, never beyond
    expect(Array.from({ length: 6 }, () => limiter.take('mallory@example.org'))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('refused attempts do not earn tokens', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 1_000, () => now);
    expect(limiter.take('a')).toBe(true);
    for (let i = 0; i < 9; i++) {
      now += 100;
      expect(limiter.take('a')).toBe(false);
    }
    now += 100; // 1 s since the last token was taken
    expect(limiter.take('a')).toBe(true);
  });
});
