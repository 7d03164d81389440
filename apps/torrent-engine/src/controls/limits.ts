import { RateLimiter } from './rate-limiter.js';

/**
 * The parts of a bittorrent-protocol Wire (webtorrent 3.0.21 / bittorrent-protocol 5.0.9)
 * that per-torrent limits hook into: `_write` is where received bytes enter the wire (delaying
 * its callback applies back-pressure down to the TCP socket, so the sender slows), `piece` is
 * how a requested block goes out.
 */
export interface LimitableWire {
  destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  _write(data: Uint8Array, cb: (err?: Error | null) => void): void;
  piece(index: number, offset: number, buffer: Uint8Array): void;
}

/** A download and an upload limiter. */
export interface LimiterPair {
  readonly down: RateLimiter;
  readonly up: RateLimiter;
}

/** The daemon-wide limits, shared by every torrent's `TorrentLimits`. */
export class GlobalLimits implements LimiterPair {
  readonly down = new RateLimiter(null);
  readonly up = new RateLimiter(null);

  set(limits: { downloadLimit: number | null; uploadLimit: number | null }): void {
    if (limits.downloadLimit !== this.down.rate) this.down.rate = limits.downloadLimit;
    if (limits.uploadLimit !== this.up.rate) this.up.rate = limits.uploadLimit;
  }
}

/**
 * Per-torrent download and upload limits, and the global ones. Every wire of the torrent draws
 * from the torrent's two limiters, so its limit holds for the torrent as a whole whatever the
 * number of peers, and from the global pair shared by all torrents. (webtorrent's own
 * client-wide throttles are off: with them every received chunk and every message sent passes
 * through four more streams; see patches/README.md.)
 */
export class TorrentLimits implements LimiterPair {
  readonly down: RateLimiter;
  readonly up: RateLimiter;
  /**
   * Open wires attached since the last `closeAll` (a wire's own end is graceful, not
   * immediate); a wire leaves when it closes, so a long-seeding torrent does not keep every wire
   * it ever had.
   */
  #open = new Set<LimitableWire>();
  readonly #closed = new WeakSet<LimitableWire>();

  constructor(
    downloadLimit: number | null,
    uploadLimit: number | null,
    private readonly global: LimiterPair = new GlobalLimits(),
  ) {
    this.down = new RateLimiter(downloadLimit);
    this.up = new RateLimiter(uploadLimit);
  }

  /** How many attached wires are still open. */
  get openWires(): number {
    return this.#open.size;
  }

  set(limits: { downloadLimit?: number | null; uploadLimit?: number | null }): void {
    if (limits.downloadLimit !== undefined) this.down.rate = limits.downloadLimit;
    if (limits.uploadLimit !== undefined) this.up.rate = limits.uploadLimit;
  }

  /**
   * The torrent stops (pause, queue): whatever its wires still hold — bytes already read from
   * the socket, blocks waiting for the limiter — is dropped, nothing more is received or sent.
   */
  closeAll(): void {
    for (const wire of this.#open) this.#closed.add(wire);
    this.#open = new Set();
  }

  /** Route a new wire of the torrent through the limiters (cheap pass-through when unlimited). */
  attach(wire: LimitableWire): void {
    const open = this.#open;
    open.add(wire);
    wire.once('close', () => open.delete(wire));
    const gone = () => wire.destroyed || this.#closed.has(wire);
    const write = wire._write.bind(wire);
    wire._write = (data, cb) => {
      if (gone()) return cb(null);
      const wait = Math.max(this.down.reserve(data.length), this.global.down.reserve(data.length));
      if (wait === 0) return write(data, cb);
      setTimeout(() => {
        if (gone()) cb(null);
        else write(data, cb);
      }, wait);
    };
    const piece = wire.piece.bind(wire);
    wire.piece = (index, offset, buffer) => {
      if (gone()) return;
      const wait = Math.max(this.up.reserve(buffer.length), this.global.up.reserve(buffer.length));
      if (wait === 0) return piece(index, offset, buffer);
      setTimeout(() => {
        if (!gone()) piece(index, offset, buffer);
      }, wait);
    };
  }
}
