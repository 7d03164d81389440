import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce.js';

describe('coalesce', () => {
  it('runs once more after triggers that arrive while running, never concurrently', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = coalesce(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        if (runs === 1) await gate;
        active--;
      },
      () => undefined,
    );
    c.trigger();
    c.trigger();
    c.trigger();
    release();
    await c.idle();
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('reports errors and keeps working', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const c = coalesce(
      async () => {
        n++;
        if (n === 1) throw new Error('boom');
        await Promise.resolve();
      },
      (e) => errors.push(e),
    );
    c.trigger();
    await c.idle();
    c.trigger();
    await c.idle();
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
