import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter.js';

describe('RateMeter', () => {
  it('averages over the window and drops to 0 when nothing moves', () => {
    const m = new RateMeter(5);
    const t0 = 1_000_000_000;
    for (let s = 0; s < 5; s++) m.add(1000, t0 + s * 1000);
    expect(m.rate(t0 + 5000)).toBe(1000);
    expect(m.rate(t0 + 7000)).toBe(600);
    expect(m.rate(t0 + 11_000)).toBe(0);
  });
});
