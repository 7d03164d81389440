import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Element } from '@xmpp/xml';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { PresenceBook } from '../domain/presence-book.js';
import { INDEX_NODE } from '../protocol/buckets.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import { BulkSession } from '../xmpp/bulk-session.js';
import type { XmppSession } from '../xmpp/session.js';
import { UploadPace } from '../xmpp/upload-pace.js';
import type { ListReader } from './list-reader.js';
import { OwnListPublisher } from './own-list-publisher.js';

const hashOf = (i: number) => createHash('sha1').update(`bulk/${i}`).digest('hex');
const shares = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ hash: hashOf(i), name: `s-${i}.bin`, size: i + 1 }));
const entry = (list: ResourceEntry['shares']): ResourceEntry[] => [
  { resource: 'home/e1', shares: list, endpoints: [{ address: '198.51.100.1', port: 6881 }] },
];
const FAST = { bytesPerSecond: 100_000_000, burstBytes: 100_000_000 };

/** One publish as the stand-in server saw it: which session, which node, and whether its result is back. */
interface Sent {
  via: 'main' | 'bulk';
  node: string | undefined;
  payload: string;
  done: boolean;
}

/**
 * Session stand-ins for the main and the bulk session of one account. The main one pushes our own
 * index back (as the servers do); the bulk one can hold `current`'s result back (the server still
 * reading it at its rate).
 */
function world(opts: { bulkOnline: boolean }) {
  const sent: Sent[] = [];
  let publisher: OwnListPublisher | null = null;
  let own = entry(shares(1000));
  let holdCurrent: (() => void) | null = null;
  let holding = false;
  const record = (via: Sent['via'], payload: Element, node?: string) => {
    const s: Sent = { via, node, payload: payload.toString(), done: false };
    sent.push(s);
    return s;
  };
  const main = {
    online: true,
    bareJid: 'alice@example.org',
    resource: 'home',
    fetchOwnItem: () => Promise.resolve(null),
    publish: (payload: Element, node?: string) => {
      const s = record('main', payload, node);
      if (node === INDEX_NODE) publisher?.onOwnList(own.map((r) => ({ ...r, shares: [...r.shares] })));
      s.done = true;
      return Promise.resolve();
    },
  } as unknown as XmppSession;
  const bulkEvents = new EventEmitter();
  const bulkSession = Object.assign(bulkEvents, {
    online: opts.bulkOnline,
    resource: '!bulk-test',
    start: () => undefined,
    stop: () => Promise.resolve(),
    iq: () => Promise.reject(new Error('no version')),
    publish: async (payload: Element, node?: string) => {
      const s = record('bulk', payload, node);
      // Results come back later than the request (a server reading at its rate).
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (node === undefined && holding) await new Promise<void>((resolve) => (holdCurrent = resolve));
      s.done = true;
    },
  }) as unknown as XmppSession;
  const infos: string[] = [];
  const log = pino({ level: 'silent' });
  const spy = { ...log, info: (_o: object, msg?: string) => void infos.push(msg ?? '') } as typeof log;
  const bulk = new BulkSession({ session: bulkSession, pace: new UploadPace(FAST, log), log: spy });
  publisher = new OwnListPublisher({
    session: main,
    log,
    pace: new UploadPace(FAST, log),
    reader: { read: () => Promise.resolve([]), remember: () => undefined } as unknown as ListReader,
    presence: { isOnline: () => false } as unknown as PresenceBook,
    ownEntries: () => own,
    siblingGraceMs: 60_000,
    currentQuietMs: 20,
    bulk,
  });
  return {
    sent,
    infos,
    publisher,
    setOwn: (list: ResourceEntry[]) => (own = list),
    holdCurrents: () => (holding = true),
    releaseCurrent: () => {
      holding = false;
      holdCurrent?.();
    },
    currentHeld: () => holdCurrent !== null,
  };
}

describe('OwnListPublisher with a bulk session', () => {
  it('sends a first publish’s buckets and `current` through the bulk session, the index through the main one after every bucket’s result', async () => {
    const w = world({ bulkOnline: true });
    await w.publisher.onOnline();
    await vi.waitFor(() => expect(w.sent.filter((s) => s.node === undefined && s.done)).toHaveLength(1), {
      timeout: 10_000,
    });
    await w.publisher.idle();
    const buckets = w.sent.filter((s) => s.node?.includes('/bucket/'));
    expect(buckets.length).toBeGreaterThan(2);
    expect(buckets.every((s) => s.via === 'bulk')).toBe(true);
    const indexAt = w.sent.findIndex((s) => s.node === INDEX_NODE);
    expect(w.sent[indexAt]!.via).toBe('main');
    // A reader never sees an index naming a bucket the server has not stored yet.
    expect(w.sent.slice(0, indexAt).every((s) => s.done)).toBe(true);
    expect(w.sent.find((s) => s.node === undefined)!.via).toBe('bulk');
    await w.publisher.stop();
  });

  it('publishes a change through the main session while `current` is still going out through the bulk one', async () => {
    const w = world({ bulkOnline: true });
    w.holdCurrents();
    await w.publisher.onOnline();
    await vi.waitFor(() => expect(w.currentHeld()).toBe(true), { timeout: 10_000 });
    await w.publisher.idle();
    const before = w.sent.length;

    // A share in the first bucket, which `current` holds: the change goes out at once.
    w.setOwn(entry([{ hash: '0'.repeat(40), name: 'new.bin', size: 1 }, ...shares(1000)]));
    w.publisher.trigger();
    await w.publisher.idle();
    const change = w.sent.slice(before);
    expect(change.map((s) => [s.via, s.node === INDEX_NODE ? 'index' : 'bucket'])).toEqual([
      ['main', 'bucket'],
      ['main', 'index'],
    ]);
    expect(change.every((s) => s.done)).toBe(true);
    // The first `current` is still not stored: the change did not wait for it.
    expect(w.sent.find((s) => s.node === undefined)!.done).toBe(false);

    // Once it is, the changed list's `current` follows, through the bulk session too.
    w.releaseCurrent();
    await vi.waitFor(() => expect(w.sent.filter((s) => s.node === undefined && s.done)).toHaveLength(2), {
      timeout: 10_000,
    });
    const last = w.sent.filter((s) => s.node === undefined).at(-1)!;
    expect(last.via).toBe('bulk');
    expect(last.payload).toContain('new.bin');
    await w.publisher.stop();
  });

  it('publishes everything through the main session while the bulk session is not online, and says so once', async () => {
    const w = world({ bulkOnline: false });
    await w.publisher.onOnline();
    await vi.waitFor(() => expect(w.sent.filter((s) => s.node === undefined)).toHaveLength(1), {
      timeout: 10_000,
    });
    await w.publisher.idle();
    expect(w.sent.every((s) => s.via === 'main')).toBe(true);
    expect(w.infos.filter((m) => m.startsWith('bulk session not online'))).toHaveLength(1);
    await w.publisher.stop();
  });
});
