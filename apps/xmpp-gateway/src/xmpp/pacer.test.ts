import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

describe('Pacer', () => {
  it('computes waits from the tokens left; larger than the burst waits for a full bucket', async () => {
    let t = 0;
    const pacer = new Pacer(1000, 5000, () => t);
    await pacer.take(4000); // 1000 left
    expect(pacer.delayFor(500)).toBe(0);
    expect(pacer.delayFor(3000)).toBe(2000);
    expect(pacer.delayFor(50_000)).toBe(4000); // waits for the whole burst, not 49 s
    t += 4000; // refilled to the burst
    expect(pacer.delayFor(5000)).toBe(0);
  });

  it('with a reserve, waits until that much burst would be left after the stanza', async () => {
    let t = 0;
    const pacer = new Pacer(1000, 5000, () => t);
    let taken = false;
    const take = pacer.take(2000, 2000).then(() => (taken = true)); // 5000 ≥ 2000 + 2000: at once
    await take;
    expect(taken).toBe(true);
    // 3000 left: 2000 more with 2000 kept needs 1000 more tokens, one second.
    let second = false;
    const next = pacer.take(2000, 2000).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    t += 1000;
    await next;
    expect(pacer.delayFor(2000)).toBe(0); // the reserve is left for a stanza taken without one
  });

  it('serves callers in order and really waits', async () => {
    const pacer = new Pacer(100_000, 1000);
    const order: number[] = [];
    const started = performance.now();
    await Promise.all([1, 2, 3].map((i) => pacer.take(1000).then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
    // 3000 bytes with 1000 of burst at 100 kB/s: at least ~20 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
