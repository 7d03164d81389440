import { type PeersPayload } from '@bitween/messages';
import { type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { natsAppDeps, overNats, type NatsAppDeps } from './testing/app-deps.js';
import { EventLog, typeOfSubject } from './core/event-log.js';
import { startNatsServer, type NatsServer } from './testing/nats-server.js';
import { startPeers, type Peers } from './testing/peers.js';

/*
 * GET /v1/events (long poll and Server-Sent Events) over a real HTTP port, against a real
 * nats-server whose JetStream records the events the stand-in engine publishes.
 */

const KEY = 'events-key-0123456789abcdef';
const log = createLogger('api-events-test', 'silent');
const limits = { maxAgeMs: 600_000, maxEvents: 10_000, maxBytes: 8 << 20 };

let nats: NatsServer;
let nc: NatsConnection;
let peersNc: NatsConnection;
let peers: Peers;
let deps: NatsAppDeps;
let app: FastifyInstance;
let base: string;

async function start(): Promise<void> {
  deps = { ...deps, events: await EventLog.open(nc, log, limits) };
  app = await buildApp(overNats(deps));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats(nats.url, 'test-api', log);
  peersNc = await connectNats(nats.url, 'test-peers', log);
  peers = await startPeers(peersNc, log);
  deps = await natsAppDeps(nc, { log, apiKey: KEY, eventLimits: limits });
  await start();
});

afterAll(async () => {
  await app?.close();
  await peers?.stop().catch(() => undefined);
  await peersNc?.close();
  await nc?.close();
  await nats?.stop();
});

const headers = { 'x-api-key': KEY };

interface Page {
  firstId: number;
  lastId: number;
  missed: number;
  reset: boolean;
  events: { id: number; type: string; hash?: string; data: unknown }[];
}

async function poll(query: string): Promise<Page> {
  const res = await fetch(`${base}/v1/events?${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
/** A torrent added through the api: the stand-in engine publishes `torrent.added` for it. */
async function addTorrent(): Promise<string> {
  const hash = (++n).toString(16).padStart(40, 'a');
  const res = await fetch(`${base}/v1/torrents`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ hash }),
  });
  expect(res.status).toBe(201);
  return hash;
}

/** Opens an SSE stream; `next()` resolves with the next message. */
async function sse(extra: Record<string, string> = {}, query = '') {
  const abort = new AbortController();
  const res = await fetch(`${base}/v1/events${query}`, {
    headers: { ...headers, accept: 'text/event-stream', ...extra },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  return {
    next: async (): Promise<EventSourceMessage> => {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      return value;
    },
    close: () => abort.abort(),
  };
}

describe('event types', () => {
  it('name torrent events by their last token and carry the hash', () => {
    expect(typeOfSubject(`bitween.v1.evt.torrent.${'a'.repeat(40)}.progress`)).toEqual({
      type: 'torrent.progress',
      hash: 'a'.repeat(40),
    });
    expect(typeOfSubject('bitween.v1.evt.xmpp.contact-shares')).toEqual({ type: 'xmpp.contact-shares' });
  });
});

describe('long poll', () => {
  it('answers at once with the events after `since`, ids +1 each', async () => {
    const { lastId } = await poll('timeout=0');
    const h1 = await addTorrent();
    const h2 = await addTorrent();
    const page = await poll(`since=${lastId}&timeout=30`);
    expect(page.missed).toBe(0);
    const added = page.events.filter((e) => e.type === 'torrent.added');
    expect(added.map((e) => e.hash)).toEqual([h1, h2]);
    expect(page.events.map((e) => e.id)).toEqual(page.events.map((_, i) => lastId + 1 + i));
    expect(added[0]?.data).toMatchObject({ torrent: { hash: h1 } });
  });

  it('waits for the next event when there is none yet', async () => {
    const { lastId } = await poll('timeout=0');
    const pending = poll(`since=${lastId}&timeout=60`);
    const hash = await addTorrent();
    const page = await pending;
    expect(page.events[0]).toMatchObject({ id: lastId + 1, type: 'torrent.added', hash });
  });

  it('returns kept events at once even with timeout=0', async () => {
    const { lastId } = await poll('timeout=0');
    await addTorrent();
    await waitFor(async () => (await poll('timeout=0')).lastId > lastId);
    const page = await poll(`since=${lastId}&timeout=0`);
    expect(page.events[0]?.id).toBe(lastId + 1);
  });

  it('answers [] when the timeout passes', async () => {
    const { lastId } = await poll('timeout=0');
    const page = await poll(`since=${lastId}&timeout=1`);
    expect(page.events).toEqual([]);
    expect(page.lastId).toBe(lastId);
  });

  it('refuses bad parameters with a problem', async () => {
    for (const q of ['since=-1', 'since=abc', 'timeout=9999', 'limit=0']) {
      const res = await fetch(`${base}/v1/events?${q}`, { headers });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });
});

describe('Server-Sent Events', () => {
  it('streams new events and resumes after Last-Event-ID', async () => {
    const stream = await sse();
    const position = await stream.next();
    expect(position.event).toBe('position');
    const info = JSON.parse(position.data) as { lastId: number; missed: number };
    expect(info.missed).toBe(0);
    const hash = await addTorrent();
    let msg = await stream.next();
    while (msg.event !== 'torrent.added') msg = await stream.next();
    expect(Number(msg.id)).toBeGreaterThan(info.lastId);
    expect(JSON.parse(msg.data)).toMatchObject({ id: Number(msg.id), type: 'torrent.added', hash });
    stream.close();

    // Events while the client is away come after reconnecting with Last-Event-ID.
    const missedWhileAway = [await addTorrent(), await addTorrent()];
    const again = await sse({ 'last-event-id': msg.id ?? '' });
    expect((await again.next()).event).toBe('position');
    const got: string[] = [];
    while (got.length < 2) {
      const m = await again.next();
      if (m.event === 'torrent.added') got.push((JSON.parse(m.data) as { hash: string }).hash);
    }
    expect(got).toEqual(missedWhileAway);
    again.close();
  });

  it('forwards xmpp.peers only when it changed (the gateway repeats it on every engine heartbeat)', async () => {
    const stream = await sse();
    expect((await stream.next()).event).toBe('position');
    const hash = 'c'.repeat(40);
    const list = (port: number) =>
      JSON.stringify({ peers: [{ hash, endpoints: [{ address: '203.0.113.7', port }] }], ownPublic: [] });
    for (const port of [6881, 6881, 6881, 6882, 6882])
      peersNc.publish('bitween.v1.evt.xmpp.peers', list(port));
    peersNc.publish('bitween.v1.evt.test.marker', JSON.stringify({ end: true }));
    const ports: number[] = [];
    for (let m = await stream.next(); m.event !== 'test.marker'; m = await stream.next()) {
      if (m.event === 'xmpp.peers')
        ports.push((JSON.parse(m.data) as { data: PeersPayload }).data.peers[0]!.endpoints[0]!.port);
    }
    expect(ports).toEqual([6881, 6882]);
    // Still recorded as they came (a long poll reads them all).
    const page = await poll('since=0&timeout=0&limit=1000');
    expect(page.events.filter((e) => e.type === 'xmpp.peers').length).toBeGreaterThanOrEqual(5);
    stream.close();
  });

  it('refuses a malformed Last-Event-ID', async () => {
    const res = await fetch(`${base}/v1/events`, {
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': 'x1' },
    });
    expect(res.status).toBe(400);
  });
});

describe('across an api restart', () => {
  it('ends open streams when the api closes', async () => {
    const stream = await sse();
    expect((await stream.next()).event).toBe('position');
    await app.close();
    await expect(stream.next()).rejects.toThrow(/ended/);
    await start();
  });

  it('keeps the ids: a client resumes where it stopped', async () => {
    const { lastId } = await poll('timeout=0');
    await app.close();
    // Events published while no api runs are recorded too (JetStream captures the subjects).
    const hash = 'b'.repeat(40);
    peersNc.publish(
      `bitween.v1.evt.torrent.${hash}.removed`,
      JSON.stringify({ hash, engineId: 'e1', deleteData: false }),
    );
    await peersNc.flush();
    await start();
    const page = await poll(`since=${lastId}&timeout=30`);
    expect(page.events[0]).toMatchObject({ id: lastId + 1, type: 'torrent.removed', hash });
  });
});

// Last: shrinks the stream's limits.
describe('when the limits dropped events', () => {
  it('tells the client how many it missed and the oldest id kept', async () => {
    const { lastId } = await poll('timeout=0');
    await EventLog.open(nc, log, { ...limits, maxEvents: 3 });
    for (let i = 0; i < 10; i++) peersNc.publish('bitween.v1.evt.test.tick', JSON.stringify({ i }));
    await peersNc.flush();
    const page = await poll(`since=${lastId}&timeout=30`);
    expect(page.firstId).toBe(lastId + 8);
    expect(page.missed).toBe(7);
    expect(page.events.map((e) => e.data)).toEqual([{ i: 7 }, { i: 8 }, { i: 9 }]);
    expect(page.events[0]?.id).toBe(lastId + 8);

    const stream = await sse({ 'last-event-id': String(lastId) });
    const position = JSON.parse((await stream.next()).data) as { missed: number; firstId: number };
    expect(position).toMatchObject({ missed: 7, firstId: lastId + 8 });
    expect(Number((await stream.next()).id)).toBe(lastId + 8);
    stream.close();
  });

  it('flags ids from a recreated stream (since beyond the newest id)', async () => {
    const { lastId } = await poll('timeout=0');
    const page = await poll(`since=${lastId + 1000}&timeout=0`);
    expect(page.reset).toBe(true);
  });
});
