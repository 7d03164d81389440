import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { firstEvent } from './first-event.js';

describe('firstEvent', () => {
  it('resolves with the first event of any source and removes every listener it added', async () => {
    const a = new EventEmitter();
    const b = new EventEmitter();
    const first = firstEvent([a, 'drain', 'close'], [b, 'close']);
    expect(a.listenerCount('drain') + a.listenerCount('close') + b.listenerCount('close')).toBe(3);
    b.emit('close');
    a.emit('drain');
    await expect(first).resolves.toBe('close');
    expect(a.eventNames()).toEqual([]);
    expect(b.eventNames()).toEqual([]);
  });

  it("resolves on a listed 'error' instead of rejecting, and keeps the emitter's own listeners", async () => {
    const t = new EventEmitter();
    const own = () => undefined;
    t.on('ready', own);
    const first = firstEvent([t, 'ready', 'error', 'close']);
    t.emit('error', new Error('bad torrent'));
    await expect(first).resolves.toBe('error');
    expect(t.listeners('ready')).toEqual([own]);
    expect(t.listenerCount('error')).toBe(0);
  });

  it('stays pending while only events it does not listen for come', async () => {
    const a = new EventEmitter();
    let fired = '';
    void firstEvent([a, 'drain']).then((e) => (fired = e));
    a.emit('close');
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe('');
    a.emit('drain');
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe('drain');
  });
});
