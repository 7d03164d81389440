import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Bus, lendPayloadBuffers, PayloadBuffers, ServiceHost, type NatsConnection } from '@bitween/bus';
import { engine, READ_HEADERS, serviceNames } from '@bitween/messages';
import { connectNats, createLogger } from '@bitween/runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNatsServer } from '../testing/nats-server.js';
import { EngineStream, ReadSlots } from './engine-stream.js';

/*
 * EngineStream (the api's side of HTTP Range streaming) against a real nats-server; a
 * ServiceHost plays the engine: engine.read answers from a buffer after a short delay (a disk
 * read, a piece to wait for), counting the reads in flight; engine.stream-close is recorded.
 */

const log = createLogger('engine-stream-test', 'silent');
const content = randomBytes(1024 * 1024 + 321);
const CHUNK = 64 * 1024;
/** vi.waitFor's default (1 s) is short for a busy 2-core machine: a cap, not a timing assertion. */
const SLOW = { timeout: 20_000 };

let nats: { url: string; stop(): Promise<void> };
let engineNc: NatsConnection;
let apiNc: NatsConnection;
let host: ServiceHost;
let bus: Bus;
let inFlight = 0;
let maxInFlight = 0;
const reads: { stream: string; offset: number }[] = [];
const closes: { stream: string; reason: string | undefined }[] = [];
/** The bus's `sent` callbacks of the replies (true: the reply has left). */
const sent: boolean[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  engineNc = await connectNats(nats.url, 'test-engine', log);
  apiNc = await connectNats(nats.url, 'test-api', log);
  host = await ServiceHost.start(new Bus(engineNc, log), { name: serviceNames.engine, version: '0.1.0' });
  host.serveRaw(
    engine.read,
    async (req) => {
      reads.push({ stream: req.stream, offset: req.offset });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {
        data: content.subarray(req.offset, req.offset + req.length),
        headers: { [READ_HEADERS.fileSize]: String(content.length) },
        sent: (left: boolean) => sent.push(left),
      };
    },
    { params: { engineId: 'e1' } },
  );
  host.serve(
    engine.streamClose,
    ({ stream, reason }) => {
      closes.push({ stream, reason });
      return { closed: true };
    },
    { params: { engineId: 'e1' } },
  );
  bus = new Bus(apiNc, log);
});

afterAll(async () => {
  await host?.stop();
  await apiNc?.close();
  await engineNc?.close();
  await nats?.stop();
});

const open = (slots: ReadSlots, start = 0, end = content.length, buffers?: PayloadBuffers) =>
  new EngineStream({
    ...(buffers ? { buffers } : {}),
    bus,
    log,
    engineId: 'e1',
    hash: 'ab'.repeat(20),
    file: 0,
    start,
    end,
    chunkBytes: CHUNK,
    window: 8,
    slots,
    waitMs: 10_000,
  });

async function drain(stream: EngineStream): Promise<Buffer> {
  const first = await stream.first();
  if (!first.ok) throw new Error(first.error.message);
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

describe('EngineStream', () => {
  it('many streams share the api’s read slots: the engine never has more reads in flight; every stream gets its bytes', async () => {
    maxInFlight = 0;
    const slots = new ReadSlots(4);
    const ranges = Array.from({ length: 6 }, (_, i) => [i * 1000, content.length - i * 7000] as const);
    const bodies = await Promise.all(ranges.map(([start, end]) => drain(open(slots, start, end))));
    bodies.forEach((body, i) => {
      const [start, end] = ranges[i]!;
      expect(body.equals(content.subarray(start, end))).toBe(true);
    });
    // Six streams of eight reads each wanted 48 at once: the four slots bound them.
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
    // Every slot is free again.
    for (let i = 0; i < 4; i++) expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(false);
    await vi.waitFor(() => expect(closes.filter((c) => c.reason === 'finished')).toHaveLength(6), SLOW);
    // ServiceHost.serveRaw told the responder that each reply had left (its buffer reusable).
    await vi.waitFor(() => expect(sent).toHaveLength(reads.length), SLOW);
    expect(sent.every(Boolean)).toBe(true);
  });

  it('destroyed mid-way (the client left), it asks for nothing more, tells the engine, and frees its slots', async () => {
    const slots = new ReadSlots(16);
    const stream = open(slots);
    const first = await stream.first();
    expect(first.ok).toBe(true);
    stream.destroy();
    await vi.waitFor(() => expect(closes).toContainEqual({ stream: stream.id, reason: 'client-gone' }), SLOW);
    // The replies of the reads already asked for come in; their slots go back; nothing new is asked.
    await vi.waitFor(() => {
      let free = 0;
      while (slots.tryTake()) free++;
      for (let i = 0; i < free; i++) slots.release();
      expect(free).toBe(16);
    }, SLOW);
    const asked = reads.filter((r) => r.stream === stream.id).length;
    // The first read and at most one window after it, never the whole file (17 chunks).
    expect(asked).toBeLessThanOrEqual(1 + 8);
    expect(asked).toBeLessThan(Math.ceil(content.length / CHUNK));
  });

  it('piped to a writable, a reply’s receive buffer goes back to the pool only once written, and serves a later reply', async () => {
    const pool = new PayloadBuffers(apiNc.info!.max_payload, 4, 1024);
    // Buffers the writable has been given and not yet called back for (the socket still holds them).
    const writing = new Set<ArrayBufferLike>();
    let lentWhileWriting = 0;
    const take = pool.take.bind(pool);
    pool.take = (bytes: number) => {
      const buf = take(bytes);
      if (buf && writing.has(buf)) lentWhileWriting++;
      return buf;
    };
    const parts: Buffer[] = [];
    // A slow socket: each chunk is 'written' a few ms later; the small high-water mark makes the
    // stream wait for 'drain'.
    const sink = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        writing.add(chunk.buffer);
        setTimeout(() => {
          parts.push(Buffer.from(chunk));
          writing.delete(chunk.buffer);
          cb();
        }, 3);
      },
    });
    const unlend = lendPayloadBuffers(pool);
    try {
      const stream = open(new ReadSlots(16), 5, content.length - 9, pool);
      const first = await stream.first();
      expect(first.ok).toBe(true);
      const finished = new Promise((resolve) => sink.once('finish', resolve));
      const ended = new Promise((resolve) => stream.once('end', resolve));
      stream.pipe(sink);
      await Promise.all([finished, ended]);
      expect(Buffer.concat(parts).equals(content.subarray(5, content.length - 9))).toBe(true);
      expect(lentWhileWriting).toBe(0);
      // 16 full replies (each larger than a socket read, so lent from the pool; the 17th is 307
      // bytes), at most 8 in flight and one being written: buffers were used again.
      expect(pool.stats.lent).toBe(16);
      expect(pool.stats.reused).toBeGreaterThan(0);
      await vi.waitFor(() => expect(closes).toContainEqual({ stream: stream.id, reason: 'finished' }), SLOW);
    } finally {
      unlend();
    }
  });
});
