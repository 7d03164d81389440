import type { Cleanup } from './cleanup.js';
import { startTcpProxy } from './tcp-proxy.js';

/** A loopback BitTorrent proxy that corrupts the first copy of chosen pieces it forwards. */
export interface CorruptingProxy {
  port: number;
  /** `piece:offset` of every block whose data was altered, in the order it happened. */
  corrupted: string[];
  stop(): Promise<void>;
}

const HANDSHAKE_BYTES = 68;
const PIECE_MESSAGE = 7;

/**
 * A peer that sends bad data, made from a good one: stands between a downloader and a seeder
 * (`targetPort`) and parses the peer-wire stream from the seeder. The first time it forwards a
 * block of one of `pieces`, it flips a byte of the block's data, so the downloader's piece fails
 * its SHA-1 check; later copies (the downloader asks again) pass unaltered. The handshake and
 * every other message are forwarded as they are, whole.
 */
export async function startCorruptingProxy(
  cleanup: Cleanup,
  opts: { targetPort: number; pieces: number[] },
): Promise<CorruptingProxy> {
  const pieces = new Set(opts.pieces);
  const corruptedPieces = new Set<number>();
  const corrupted: string[] = [];

  /** Alters the data of the first block seen of each chosen piece; returns the frame as sent. */
  function forwardFrame(frame: Buffer): Buffer {
    // frame: 4-byte length, 1-byte id, then for a piece: index, begin, block.
    if (frame.length < 14 || frame[4] !== PIECE_MESSAGE) return frame;
    const index = frame.readUInt32BE(5);
    const begin = frame.readUInt32BE(9);
    if (!pieces.has(index) || corruptedPieces.has(index)) return frame;
    corruptedPieces.add(index);
    corrupted.push(`${index}:${begin}`);
    const last = frame.length - 1;
    frame[last] = frame[last]! ^ 0xff;
    return frame;
  }

  const proxy = await startTcpProxy(cleanup, 'corrupting proxy', opts.targetPort, (target, client) => {
    let pending: Buffer = Buffer.alloc(0);
    let handshakeDone = false;
    target.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const out: Buffer[] = [];
      if (!handshakeDone) {
        if (pending.length < HANDSHAKE_BYTES) return;
        out.push(pending.subarray(0, HANDSHAKE_BYTES));
        pending = pending.subarray(HANDSHAKE_BYTES);
        handshakeDone = true;
      }
      while (pending.length >= 4) {
        const size = 4 + pending.readUInt32BE(0);
        if (pending.length < size) break;
        out.push(forwardFrame(Buffer.from(pending.subarray(0, size))));
        pending = pending.subarray(size);
      }
      if (out.length && !client.destroyed && !client.write(Buffer.concat(out))) {
        target.pause();
        client.once('drain', () => target.resume());
      }
    });
  });
  return { ...proxy, corrupted };
}
