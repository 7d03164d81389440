import { describe, expect, it, vi } from 'vitest';
import { TorrentLimits, type LimitableWire } from './limits.js';

function fakeWire() {
  const received: number[] = [];
  const sent: number[] = [];
  const wire: LimitableWire = {
    destroyed: false,
    _write: (data, cb) => {
      received.push(data.length);
      cb(null);
    },
    piece: (_i, _o, buffer) => void sent.push(buffer.length),
  };
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
});
