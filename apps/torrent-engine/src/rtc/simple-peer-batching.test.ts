import Peer, { type SignalData } from '@thaunknown/simple-peer';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * patches/@thaunknown+simple-peer+10.1.2.patch: the byte chunks written to a WebRTC peer in one
 * tick leave as data channel messages of up to 64 KiB, in order, within the channel's
 * bufferedAmount backpressure (unpatched, every write is a message: a BitTorrent block is two,
 * its 13-byte header and its 16 KiB). Two real @roamhq/wrtc peers in this process; like every
 * WebRTC test here it needs a non-loopback interface (libwebrtc gathers no loopback candidate).
 */

const KiB = 1024;
/** The batch limit the patch uses, and simple-peer's backpressure mark (bufferedAmount). */
const MAX_MESSAGE = 64 * KiB;
const MAX_BUFFERED = 64 * KiB;

interface Channel {
  send(data: unknown): void;
  readonly bufferedAmount: number;
}
/** simple-peer's stream side, and its data channel, beyond the engine's own typings. */
type StreamPeer = Peer & {
  write(chunk: Uint8Array | string): boolean;
  _channel: Channel | null;
};

interface Sent {
  size: number;
  /** The channel's bufferedAmount just before the message was handed to it. */
  bufferedBefore: number;
}

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
});

/** Two connected peers (no trickle: each description carries its candidates). */
async function connectedPair(
  objectMode = false,
  beforeConnect?: (a: StreamPeer) => void,
): Promise<{ a: StreamPeer; b: StreamPeer }> {
  const options = { trickle: false, objectMode } as ConstructorParameters<typeof Peer>[0];
  const a = new Peer({ ...options, initiator: true }) as StreamPeer;
  const b = new Peer(options) as StreamPeer;
  peers.push(a, b);
  const connected = Promise.all(
    [a, b].map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          p.once('connect', () => resolve());
          p.once('error', reject);
        }),
    ),
  );
  a.on('signal', (d: SignalData) => b.signal(d));
  b.on('signal', (d: SignalData) => a.signal(d));
  beforeConnect?.(a);
  await connected;
  return { a, b };
}

/** Record every message `peer` hands its data channel from now on. */
function recordSends(peer: StreamPeer): Sent[] {
  const channel = peer._channel!;
  const send = channel.send.bind(channel);
  const sent: Sent[] = [];
  channel.send = (data: unknown) => {
    sent.push({ size: (data as Uint8Array | string).length, bufferedBefore: channel.bufferedAmount });
    send(data);
  };
  return sent;
}

/** Everything `peer` receives until `bytes` have arrived, as one buffer, and the message count. */
function receive(peer: StreamPeer, bytes: number): Promise<{ data: Buffer; messages: number }> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let got = 0;
    peer.on('data', (chunk: Uint8Array) => {
      chunks.push(chunk);
      got += chunk.byteLength;
      if (got >= bytes) resolve({ data: Buffer.concat(chunks), messages: chunks.length });
    });
  });
}

/** What bittorrent-protocol writes for `n` blocks: a 13-byte piece header, then 16 KiB. */
function blocks(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const header = new Uint8Array(13);
    new DataView(header.buffer).setUint32(0, 9 + 16 * KiB);
    header[4] = 7;
    new DataView(header.buffer).setUint32(5, i);
    out.push(header, new Uint8Array(16 * KiB).fill(i % 251));
  }
  return out;
}

describe('simple-peer writes (patched: batched into data channel messages)', { timeout: 60_000 }, () => {
  it("sends one tick's blocks as messages of at most 64 KiB, in order", async () => {
    const { a, b } = await connectedPair();
    const sent = recordSends(a);
    const chunks = blocks(64);
    const expected = Buffer.concat(chunks);
    const received = receive(b, expected.length);
    for (const c of chunks) a.write(c);
    const { data } = await received;
    expect(data.equals(expected)).toBe(true);
    expect(sent.reduce((n, s) => n + s.size, 0)).toBe(expected.length);
    expect(Math.max(...sent.map((s) => s.size))).toBeLessThanOrEqual(MAX_MESSAGE);
    // Whole chunks per message: each but the last is more than 64 KiB less one chunk. Unpatched
    // this is 128 messages (one per write).
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(expected.length / (MAX_MESSAGE - 16 * KiB - 13)));
  });

  it('keeps to the bufferedAmount backpressure with a large backlog, bytes in order', async () => {
    const { a, b } = await connectedPair();
    const sent = recordSends(a);
    const chunks = blocks(512); // 8 MiB written at once: far more than the channel may buffer
    const expected = Buffer.concat(chunks);
    const received = receive(b, expected.length);
    for (const c of chunks) a.write(c);
    const { data } = await received;
    expect(data.equals(expected)).toBe(true);
    // A message is handed over only while the channel holds at most the mark.
    expect(sent.filter((s) => s.bufferedBefore > MAX_BUFFERED)).toEqual([]);
    expect(Math.max(...sent.map((s) => s.size))).toBeLessThanOrEqual(MAX_MESSAGE);
  });

  it('sends what was written before the channel opened once it is connected', async () => {
    const chunks = blocks(8);
    const expected = Buffer.concat(chunks);
    const { b } = await connectedPair(false, (a) => {
      for (const c of chunks) a.write(c);
    });
    const { data } = await receive(b, expected.length); // a readable holds what came before
    expect(data.equals(expected)).toBe(true);
  });

  it('leaves objectMode alone: one message per write', async () => {
    const { a, b } = await connectedPair(true);
    const sent = recordSends(a);
    const writes = [new Uint8Array(10).fill(1), new Uint8Array(20).fill(2), new Uint8Array(30).fill(3)];
    const got: Uint8Array[] = [];
    const all = new Promise<void>((resolve) =>
      b.on('data', (m: Uint8Array) => {
        got.push(m);
        if (got.length === writes.length) resolve();
      }),
    );
    for (const w of writes) a.write(w);
    await all;
    expect(sent.map((s) => s.size)).toEqual([10, 20, 30]);
    expect(got.map((m) => Buffer.from(m))).toEqual(writes.map((w) => Buffer.from(w)));
  });
});
