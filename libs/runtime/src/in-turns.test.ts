import { describe, expect, it } from 'vitest';
import { inTurns } from './in-turns.js';

describe('inTurns', () => {
  it('lets the event loop run between turns, including what the items queued with nextTick', async () => {
    const done: number[] = [];
    const ticked: number[] = [];
    const seenByLoop: number[][] = [];
    // Callbacks the event loop runs (a socket's data would arrive the same way): each records how far we got.
    const watch = () => {
      seenByLoop.push([done.length, ticked.length]);
      if (done.length < 10) setImmediate(watch);
    };
    setImmediate(watch);
    await inTurns([...Array(10).keys()], 4, (i) => {
      done.push(i);
      process.nextTick(() => ticked.push(i));
    });
    expect(done).toEqual([...Array(10).keys()]);
    // The loop ran after the first 4 and after 8 items, each time with their nextTick work done.
    expect(seenByLoop).toContainEqual([4, 4]);
    expect(seenByLoop).toContainEqual([8, 8]);
    expect(seenByLoop.every(([d = -1]) => d === 0 || d % 4 === 0 || d === 10)).toBe(true);
  });

  it('awaits items that return a promise, in order', async () => {
    const order: string[] = [];
    await inTurns(['a', 'b', 'c'], 2, async (s) => {
      await new Promise((r) => setTimeout(r, s === 'a' ? 20 : 0));
      order.push(s);
    });
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('does nothing for no items', async () => {
    let calls = 0;
    await inTurns([], 3, () => void calls++);
    expect(calls).toBe(0);
  });
});
