import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { GlobalLimits, TorrentLimits, type LimitableWire } from './limits.js';

function fakeWire() {
  const received: number[] = [];
  const sent: number[] = [];
  const wire: LimitableWire & EventEmitter = Object.assign(new EventEmitter(), {
    destroyed: false,
    _write: (data: Uint8Array, cb: (err?: Error | null) => void) => {
      received.push(data.length);
      cb(null);
    },
    piece: (_i: number, _o: number, buffer: Uint8Array) => void sent.push(buffer.length),
  });
  return { wire, received, sent };
}

describe('TorrentLimits', () => {
  it('passes data straight through when unlimited', () => {
    const limits = new TorrentLimits(null, null);
    const { wire, received, sent } = fakeWire();
    limits.attach(wire);
    const cb = vi.fn();
    wire._write(new Uint8Array(1000), cb);
    wire.piece(0, 0, new Uint8Array(500));
    expect(received).toEqual([1000]);
    expect(sent).toEqual([500]);
    expect(cb).toHaveBeenCalledOnce();
  });

  it('holds data over the limit back, and drops what is held when the torrent stops', () => {
    vi.useFakeTimers();
    try {
      const limits = new TorrentLimits(1000, 1000);
      const { wire, received, sent } = fakeWire();
      limits.attach(wire);
      const cb = vi.fn();
      for (let i = 0; i < 4; i++) wire._write(new Uint8Array(500), cb);
      for (let i = 0; i < 4; i++) wire.piece(i, 0, new Uint8Array(500));
      // 1000 B/s with a 250 ms burst: the first chunk passes at once, the others wait their turn.
      expect(received).toEqual([500]);
      expect(sent).toEqual([500]);
      vi.advanceTimersByTime(300);
      expect(received.length).toBeGreaterThan(1);
      limits.closeAll();
      const before = { received: received.length, sent: sent.length };
      vi.advanceTimersByTime(10_000);
      expect({ received: received.length, sent: sent.length }).toEqual(before);
      // A held write still completes its callback (the stream is not left hanging).
      expect(cb).toHaveBeenCalledTimes(4);
      // Limits change at once for wires already attached.
      limits.set({ downloadLimit: null });
      expect(limits.down.rate).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets go of a wire once it closes, so a long-seeding torrent does not keep them all', () => {
    const limits = new TorrentLimits(null, null);
    const wires = [fakeWire().wire, fakeWire().wire, fakeWire().wire];
    for (const wire of wires) limits.attach(wire);
    expect(limits.openWires).toBe(3);
    wires[0]!.emit('close');
    wires[2]!.emit('close');
    expect(limits.openWires).toBe(1);
    limits.closeAll();
    expect(limits.openWires).toBe(0);
    // A wire closing after closeAll does not disturb the wires attached since.
    limits.attach(fakeWire().wire);
    wires[1]!.emit('close');
    expect(limits.openWires).toBe(1);
  });

  it('draws from the global limits too, shared by every torrent, which change at once', () => {
    vi.useFakeTimers();
    try {
      const global = new GlobalLimits();
      const a = fakeWire();
      const b = fakeWire();
      new TorrentLimits(null, null, global).attach(a.wire);
      new TorrentLimits(null, null, global).attach(b.wire);
      // Unlimited: everything passes at once.
      a.wire._write(new Uint8Array(1000), () => {});
      b.wire.piece(0, 0, new Uint8Array(1000));
      expect([a.received, b.sent]).toEqual([[1000], [1000]]);

      global.set({ downloadLimit: 1000, uploadLimit: 1000 });
      // 1000 B/s with a 250 ms burst, shared: a's chunk uses the budget, b's waits for it.
      a.wire._write(new Uint8Array(1000), () => {});
      b.wire._write(new Uint8Array(1000), () => {});
      a.wire.piece(1, 0, new Uint8Array(1000));
      b.wire.piece(1, 0, new Uint8Array(1000));
      expect([a.received, b.received]).toEqual([[1000, 1000], []]);
      expect([a.sent, b.sent]).toEqual([[1000], [1000]]);
      vi.advanceTimersByTime(800);
      expect(b.received).toEqual([1000]);
      expect(b.sent).toEqual([1000, 1000]);

      // The stricter of the torrent's and the global limit applies.
      const c = fakeWire();
      const limits = new TorrentLimits(100, null, global);
      limits.attach(c.wire);
      global.set({ downloadLimit: null, uploadLimit: null });
      c.wire._write(new Uint8Array(100), () => {});
      c.wire._write(new Uint8Array(100), () => {});
      expect(c.received).toEqual([100]);
      vi.advanceTimersByTime(500);
      expect(c.received).toEqual([100]);
      vi.advanceTimersByTime(400);
      expect(c.received).toEqual([100, 100]);
    } finally {
      vi.useRealTimers();
    }
  });
});
