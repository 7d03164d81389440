import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('never waits when unlimited', () => {
    const l = new RateLimiter(null, 0, () => 0);
    for (let i = 0; i < 1000; i++) expect(l.reserve(1 << 20)).toBe(0);
  });

  it('spaces reservations at the rate, after the burst allowance', () => {
    let now = 1000;
    const l = new RateLimiter(1000, 100, () => now); // 1000 B/s, 100 ms burst
    expect(l.reserve(100)).toBe(0); // passes now; budget busy until +100 ms
    expect(l.reserve(100)).toBe(0); // within the burst allowance
    expect(l.reserve(100)).toBe(100); // budget busy until +200 ms; 100 ms burst
    expect(l.reserve(500)).toBe(200);
    now += 10_000; // idle: unused budget does not pile up beyond the burst
    expect(l.reserve(100)).toBe(0);
    expect(l.reserve(100)).toBe(0);
    expect(l.reserve(100)).toBe(100);
  });

  it('keeps bytes over any window within rate × (window + burst) + one reservation', () => {
    let now = 0;
    const rate = 50_000;
    const burstMs = 250;
    const l = new RateLimiter(rate, burstMs, () => now);
    // Greedy sender: sends the moment it may, chunks of varying size, for 20 s of clock.
    const passed: { at: number; bytes: number }[] = [];
    const sizes = [16_384, 1000, 65_536, 4096, 32_768];
    let i = 0;
    while (now < 20_000) {
      const bytes = sizes[i++ % sizes.length]!;
      now += l.reserve(bytes);
      passed.push({ at: now, bytes });
    }
    for (const window of [500, 2000, 10_000]) {
      for (let start = 0; start + window <= 20_000; start += 250) {
        const sum = passed
          .filter((p) => p.at >= start && p.at < start + window)
          .reduce((n, p) => n + p.bytes, 0);
        expect(sum).toBeLessThanOrEqual((rate * (window + burstMs)) / 1000 + 65_536);
      }
    }
    const total = passed.reduce((n, p) => n + p.bytes, 0);
    // and a greedy sender gets (close to) the full rate
    expect(total / 20).toBeGreaterThan(rate * 0.95);
  });

  it('rejects rates that are not positive', () => {
    expect(() => new RateLimiter(0)).toThrow(RangeError);
    const l = new RateLimiter(null);
    expect(() => (l.rate = -1)).toThrow(RangeError);
    l.rate = 10;
    expect(l.rate).toBe(10);
  });
});
