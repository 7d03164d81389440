import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands back the memory of a buffer given back, as a view of the length asked for', () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take(100);
    expect(a.length).toBe(100);
    pool.give(a);
    expect(pool.held).toBe(1);
    const b = pool.take(1024);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(1024);
    expect(pool.held).toBe(0);
  });
  it('keeps at most `keep` free buffers, none of another origin, and none after clear', () => {
    const pool = new BufferPool(1024, 2);
    const taken = [pool.take(10), pool.take(10), pool.take(10)];
    for (const buf of taken) pool.give(buf);
    expect(pool.held).toBe(2);
    pool.give(Buffer.alloc(1024));
    expect(pool.held).toBe(2);
    // Larger than the pool's size: a buffer of its own, not kept.
    const large = pool.take(4096);
    expect(large.length).toBe(4096);
    pool.clear();
    pool.give(large);
    expect(pool.held).toBe(0);
    const fresh = pool.take(10);
    expect(taken.some((t) => t.buffer === fresh.buffer)).toBe(false);
  });
});
