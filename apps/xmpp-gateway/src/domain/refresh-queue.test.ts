import { describe, expect, it } from 'vitest';
import { RefreshQueue } from './refresh-queue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RefreshQueue', () => {
  it('runs at most `concurrency` tasks at once, in order, each key once while pending', async () => {
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const queue = new RefreshQueue(2, (key) => {
      started.push(key);
      const gate = deferred();
      gates.set(key, gate);
      return gate.promise;
    });
    for (const k of ['a', 'b', 'c', 'a', 'd', 'c']) queue.add(k);
    expect(started).toEqual(['a', 'b']);
    expect(queue.size).toBe(4);
    gates.get('a')!.resolve();
    await gates.get('a')!.promise;
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    queue.add('a'); // done: may run again
    gates.get('b')!.resolve();
    gates.get('c')!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd', 'a']);
  });

  it('a failing task does not stop the queue; clear() drops what waits', async () => {
    const started: string[] = [];
    const queue = new RefreshQueue(1, (key) => {
      started.push(key);
      return key === 'x' ? Promise.reject(new Error('boom')) : new Promise<void>(() => undefined);
    });
    queue.add('x');
    queue.add('y');
    queue.add('z');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['x', 'y']);
    queue.clear();
    expect(queue.size).toBe(0);
    queue.add('w');
    expect(started).toEqual(['x', 'y']); // y still runs: w waits for the slot
  });
});
