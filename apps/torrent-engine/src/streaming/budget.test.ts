import { describe, expect, it } from 'vitest';
import { ByteBudget } from './budget.js';

describe('ByteBudget', () => {
  it('holds takers back until bytes are released, in order', async () => {
    const budget = new ByteBudget(100);
    const releaseA = await budget.take(60);
    const order: string[] = [];
    const b = budget.take(60).then((release) => {
      order.push('b');
      return release;
    });
    const c = budget.take(10).then((release) => {
      order.push('c');
      return release;
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(budget.free).toBe(40);
    releaseA();
    releaseA(); // twice: counted once
    const releaseB = await b;
    const releaseC = await c;
    expect(order).toEqual(['b', 'c']);
    expect(budget.free).toBe(30);
    releaseB();
    releaseC();
    expect(budget.free).toBe(100);
  });
  it('caps a request larger than the whole budget', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.take(1000);
    expect(budget.free).toBe(0);
    release();
    expect(budget.free).toBe(10);
  });
});
