import { describe, expect, it } from 'vitest';
import { lendPayloadBuffers, PayloadBuffers } from './payload-buffers.js';

describe('PayloadBuffers', () => {
  it('lends buffers for payloads between minBytes and size, and takes back only its own', () => {
    const pool = new PayloadBuffers(4096, 2, 1024);
    expect(pool.take(1023)).toBeUndefined();
    expect(pool.take(4097)).toBeUndefined();
    const a = pool.take(3000)!;
    expect(a.byteLength).toBe(4096);
    // A view of it (the payload past the headers) brings the whole buffer back.
    pool.give(new Uint8Array(a, 100, 2000));
    expect(pool.stats.free).toBe(1);
    expect(pool.take(2000)).toBe(a);
    // Memory it did not make stays with the GC.
    pool.give(new Uint8Array(4096));
    expect(pool.stats.free).toBe(0);
    expect(pool.stats).toMatchObject({ lent: 2, reused: 1 });
  });

  it('holds at most `keep` free buffers, each once', () => {
    const pool = new PayloadBuffers(4096, 2, 1024);
    const bufs = [pool.take(4096)!, pool.take(4096)!, pool.take(4096)!];
    pool.give(new Uint8Array(bufs[0]!));
    pool.give(new Uint8Array(bufs[0]!));
    expect(pool.stats.free).toBe(1);
    for (const b of bufs) pool.give(new Uint8Array(b));
    expect(pool.stats.free).toBe(2);
    pool.clear();
    expect(pool.stats.free).toBe(0);
  });

  it('is offered to the NATS client under its symbol until uninstalled', () => {
    const pool = new PayloadBuffers(4096, 2, 1024);
    const hook = Symbol.for('nats-core.payloadBuffer');
    const unlend = lendPayloadBuffers(pool);
    const g = globalThis as Record<symbol, ((n: number) => ArrayBuffer | undefined) | undefined>;
    expect(g[hook]?.(2048)?.byteLength).toBe(4096);
    unlend();
    expect(g[hook]).toBeUndefined();
  });
});
