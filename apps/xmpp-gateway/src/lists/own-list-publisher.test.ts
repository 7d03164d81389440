import { createHash } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { PresenceBook } from '../domain/presence-book.js';
import { INDEX_NODE } from '../protocol/buckets.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import { UploadPace } from '../xmpp/upload-pace.js';
import type { ListReader } from './list-reader.js';
import { OwnListPublisher, type OwnListPublisherOptions } from './own-list-publisher.js';

const hashOf = (i: number) => createHash('sha1').update(`share/${i}`).digest('hex');

/** 1,000 shares of one resource: a list the publisher puts in buckets. */
const manyShares = () =>
  Array.from({ length: 1000 }, (_, i) => ({ hash: hashOf(i), name: `s-${i}.bin`, size: i + 1 }));

/**
 * A publisher of `ownEntries()` over a session stand-in: every publish is recorded in `sent`
 * (node undefined: `current`), then handed to `onPublish` — which can push our own list back as
 * the server's notification (`publisher.onOwnList`), as Prosody and ejabberd do mid-publish.
 */
function standIn(
  ownEntries: () => ResourceEntry[],
  onPublish: (node: string | undefined) => void = () => undefined,
  over: Partial<OwnListPublisherOptions> = {},
) {
  const sent: { node: string | undefined; payload: string }[] = [];
  const session = {
    online: true,
    bareJid: 'alice@example.org',
    resource: 'home',
    fetchOwnItem: () => Promise.resolve(null),
    publish: (payload: Element, node?: string) => {
      sent.push({ node, payload: payload.toString() });
      onPublish(node);
      return Promise.resolve();
    },
  } as unknown as XmppSession;
  const log = pino({ level: 'silent' });
  const publisher = new OwnListPublisher({
    session,
    log,
    pace: new UploadPace({ bytesPerSecond: 100_000_000, burstBytes: 100_000_000 }, log),
    reader: { read: () => Promise.resolve([]), remember: () => undefined } as unknown as ListReader,
    presence: { isOnline: () => false } as unknown as PresenceBook,
    ownEntries,
    siblingGraceMs: 60_000,
    currentQuietMs: 20,
    ...over,
  });
  /** Our own list as the server now holds it, pushed back to us. */
  const pushBack = () => publisher.onOwnList(ownEntries().map((r) => ({ ...r, shares: [...r.shares] })));
  return { publisher, sent, nodes: () => sent.map((s) => s.node), pushBack };
}

/**
 * What a change of a list in buckets sends, against a session stand-in whose server pushes our own
 * index back to us while the publish is still running (as Prosody and ejabberd do: the
 * notification arrives before `current` is sent).
 */
describe('OwnListPublisher, a change of a list in buckets', () => {
  it('sends the changed bucket and the index, not `current` when the change is outside it', async () => {
    const shares = manyShares();
    let own: ResourceEntry[] = [
      { resource: 'home/e1', shares, endpoints: [{ address: '198.51.100.1', port: 6881 }] },
    ];
    // Our own index comes back as a notification: the list the server now holds.
    const { publisher, sent, nodes, pushBack } = standIn(
      () => own,
      (node) => node === INDEX_NODE && pushBack(),
    );
    await publisher.onOnline();
    await publisher.idle();
    // `current` (for original peers) is written after the index, once the list is quiet.
    await vi.waitFor(() => expect(nodes().filter((n) => n === undefined)).toHaveLength(1), {
      timeout: 10_000,
    });
    expect(nodes().filter((n) => n === INDEX_NODE)).toHaveLength(1);
    expect(nodes().at(-1)).toBeUndefined();
    await publisher.idle();

    // A share in the last bucket (its info-hash sorts last): `current` holds the first buckets only.
    sent.length = 0;
    own = [{ ...own[0]!, shares: [...shares, { hash: 'f'.repeat(40), name: 'new.bin', size: 1 }] }];
    publisher.trigger();
    await publisher.idle();
    expect(nodes().filter((n) => n === INDEX_NODE)).toHaveLength(1);
    expect(nodes().filter((n) => n?.includes('/bucket/'))).toHaveLength(1);
    expect(nodes().filter((n) => n === undefined)).toEqual([]);
    await publisher.stop();
  });

  it('writes `current` last, once the list is quiet: a change made before it goes first', async () => {
    const shares = manyShares();
    let own: ResourceEntry[] = [
      { resource: 'home/e1', shares, endpoints: [{ address: '198.51.100.1', port: 6881 }] },
    ];
    const { publisher, sent, nodes, pushBack } = standIn(
      () => own,
      (node) => {
        if (node !== INDEX_NODE) return;
        pushBack();
        if (nodes().filter((n) => n === INDEX_NODE).length === 1) {
          // The first publish's index is out: a share is added at once, in the first bucket
          // (its info-hash sorts first), which `current` holds.
          own = [{ ...own[0]!, shares: [{ hash: '0'.repeat(40), name: 'new.bin', size: 1 }, ...shares] }];
          publisher.trigger();
        }
      },
    );
    await publisher.onOnline();
    await vi.waitFor(() => expect(nodes().filter((n) => n === undefined)).toHaveLength(1), {
      timeout: 10_000,
    });
    await publisher.idle();
    // The change's bucket and index went before any `current`; `current` went once, with the change.
    const order = nodes();
    expect(order.filter((n) => n === INDEX_NODE)).toHaveLength(2);
    expect(order.filter((n) => n === undefined)).toHaveLength(1);
    expect(order.at(-1)).toBeUndefined();
    expect(sent.at(-1)!.payload).toContain('new.bin');
    await publisher.stop();
  });
});

/**
 * A sibling instance (resource "server") that crashes: our notification of its last publish may be
 * read (asynchronously) after its unavailable presence. Only a notification that arrived after it
 * went offline says it is back; an older one must not keep its entry for ever.
 */
describe('OwnListPublisher, a sibling that went offline', () => {
  const ours: ResourceEntry = {
    resource: 'home/e1',
    shares: [{ hash: hashOf(1), name: 'holiday.txt', size: 1 }],
    endpoints: [{ address: '198.51.100.1', port: 6881 }],
  };
  const sibling: ResourceEntry = {
    resource: 'server/e1',
    shares: [{ hash: hashOf(2), name: 'backup.txt', size: 1 }],
    endpoints: [{ address: '198.51.100.2', port: 6881 }],
  };

  function withPresence() {
    const online = new Set<string>();
    const own = { entries: [ours] };
    const { publisher, sent } = standIn(() => own.entries, undefined, {
      presence: { isOnline: (_jid: string, r: string) => online.has(r) } as unknown as PresenceBook,
      siblingGraceMs: 0,
      readBackMs: 60_000,
    });
    // Every list here is small: it goes out whole, in `current`.
    const last = () => sent.at(-1)?.payload;
    return { publisher, online, sent, last, own };
  }

  async function started() {
    const t = withPresence();
    await t.publisher.onOnline();
    await t.publisher.idle();
    // The sibling grace (0 ms) is a timer set before this one: once this fires, siblings are settled.
    await new Promise((resolve) => setTimeout(resolve, 1));
    t.online.add('server');
    t.publisher.onOwnList([ours, sibling], performance.now());
    await t.publisher.idle();
    return t;
  }

  it('drops it although a notification sent before it went offline is read after', async () => {
    const { publisher, online, sent, last } = await started();
    const notifiedBefore = performance.now();
    online.delete('server');
    publisher.onSiblingPresence('server', false);
    await publisher.idle();
    expect(last()).not.toContain('backup.txt');
    // The late read of the older notification: the server held the sibling's entry then.
    const count = sent.length;
    expect(publisher.onOwnList([ours, sibling], notifiedBefore)).toEqual([sibling]);
    await publisher.idle();
    expect(sent.length).toBe(count + 1);
    expect(last()).not.toContain('backup.txt');
    expect(last()).toContain('holiday.txt');
    // A fetched item (no notification time) is no news from the sibling either.
    publisher.onOwnList([ours, sibling]);
    await publisher.idle();
    expect(last()).not.toContain('backup.txt');
    await publisher.stop();
  });

  it('keeps it when a notification sent after it went offline brings its entry back', async () => {
    const { publisher, online, last, own } = await started();
    online.delete('server');
    publisher.onSiblingPresence('server', false);
    await publisher.idle();
    expect(last()).not.toContain('backup.txt');
    // The sibling published again (its presence did not reach us): it is alive.
    publisher.onOwnList([ours, sibling], performance.now());
    await publisher.idle();
    // The server holds both entries: nothing to publish; our next publish keeps the sibling's.
    own.entries = [{ ...ours, shares: [...ours.shares, { hash: hashOf(3), name: 'more.txt', size: 1 }] }];
    publisher.trigger();
    await publisher.idle();
    expect(last()).toContain('backup.txt');
    expect(last()).toContain('more.txt');
    await publisher.stop();
  });
});
