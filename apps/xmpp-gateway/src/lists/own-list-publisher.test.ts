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
import { OwnListPublisher } from './own-list-publisher.js';

const hashOf = (i: number) => createHash('sha1').update(`share/${i}`).digest('hex');

/**
 * What a change of a list in buckets sends, against a session stand-in whose server pushes our own
 * index back to us while the publish is still running (as Prosody and ejabberd do: the
 * notification arrives before `current` is sent).
 */
describe('OwnListPublisher, a change of a list in buckets', () => {
  it('sends the changed bucket and the index, not `current` when the change is outside it', async () => {
    const shares = Array.from({ length: 1000 }, (_, i) => ({
      hash: hashOf(i),
      name: `s-${i}.bin`,
      size: i + 1,
    }));
    let own: ResourceEntry[] = [
      { resource: 'home/e1', shares, endpoints: [{ address: '198.51.100.1', port: 6881 }] },
    ];
    const sent: (string | undefined)[] = [];
    let publisher: OwnListPublisher | null = null;
    const session = {
      online: true,
      bareJid: 'alice@example.org',
      resource: 'home',
      fetchOwnItem: () => Promise.resolve(null),
      publish: (_payload: Element, node?: string) => {
        sent.push(node);
        // Our own index comes back as a notification: the list the server now holds.
        if (node === INDEX_NODE) publisher?.onOwnList(own.map((r) => ({ ...r, shares: [...r.shares] })));
        return Promise.resolve();
      },
    } as unknown as XmppSession;
    const log = pino({ level: 'silent' });
    publisher = new OwnListPublisher({
      session,
      log,
      pace: new UploadPace({ bytesPerSecond: 100_000_000, burstBytes: 100_000_000 }, log),
      reader: { read: () => Promise.resolve([]), remember: () => undefined } as unknown as ListReader,
      presence: { isOnline: () => false } as unknown as PresenceBook,
      ownEntries: () => own,
      siblingGraceMs: 60_000,
      currentQuietMs: 20,
    });
    await publisher.onOnline();
    await publisher.idle();
    // `current` (for original peers) is written after the index, once the list is quiet.
    await vi.waitFor(() => expect(sent.filter((n) => n === undefined)).toHaveLength(1), { timeout: 10_000 });
    expect(sent.filter((n) => n === INDEX_NODE)).toHaveLength(1);
    expect(sent.at(-1)).toBeUndefined();
    await publisher.idle();

    // A share in the last bucket (its info-hash sorts last): `current` holds the first buckets only.
    sent.length = 0;
    own = [{ ...own[0]!, shares: [...shares, { hash: 'f'.repeat(40), name: 'new.bin', size: 1 }] }];
    publisher.trigger();
    await publisher.idle();
    expect(sent.filter((n) => n === INDEX_NODE)).toHaveLength(1);
    expect(sent.filter((n) => n?.includes('/bucket/'))).toHaveLength(1);
    expect(sent.filter((n) => n === undefined)).toEqual([]);
    await publisher.stop();
  });

  it('writes `current` last, once the list is quiet: a change made before it goes first', async () => {
    const shares = Array.from({ length: 1000 }, (_, i) => ({
      hash: hashOf(i),
      name: `s-${i}.bin`,
      size: i + 1,
    }));
    let own: ResourceEntry[] = [
      { resource: 'home/e1', shares, endpoints: [{ address: '198.51.100.1', port: 6881 }] },
    ];
    const sent: { node: string | undefined; payload: string }[] = [];
    let publisher: OwnListPublisher | null = null;
    const session = {
      online: true,
      bareJid: 'alice@example.org',
      resource: 'home',
      fetchOwnItem: () => Promise.resolve(null),
      publish: (payload: Element, node?: string) => {
        sent.push({ node, payload: payload.toString() });
        if (node === INDEX_NODE) {
          publisher?.onOwnList(own.map((r) => ({ ...r, shares: [...r.shares] })));
          if (sent.filter((s) => s.node === INDEX_NODE).length === 1) {
            // The first publish's index is out: a share is added at once, in the first bucket
            // (its info-hash sorts first), which `current` holds.
            own = [{ ...own[0]!, shares: [{ hash: '0'.repeat(40), name: 'new.bin', size: 1 }, ...shares] }];
            publisher?.trigger();
          }
        }
        return Promise.resolve();
      },
    } as unknown as XmppSession;
    const log = pino({ level: 'silent' });
    publisher = new OwnListPublisher({
      session,
      log,
      pace: new UploadPace({ bytesPerSecond: 100_000_000, burstBytes: 100_000_000 }, log),
      reader: { read: () => Promise.resolve([]), remember: () => undefined } as unknown as ListReader,
      presence: { isOnline: () => false } as unknown as PresenceBook,
      ownEntries: () => own,
      siblingGraceMs: 60_000,
      currentQuietMs: 20,
    });
    await publisher.onOnline();
    await vi.waitFor(() => expect(sent.filter((s) => s.node === undefined)).toHaveLength(1), {
      timeout: 10_000,
    });
    await publisher.idle();
    // The change's bucket and index went before any `current`; `current` went once, with the change.
    const nodes = sent.map((s) => s.node);
    expect(nodes.filter((n) => n === INDEX_NODE)).toHaveLength(2);
    expect(nodes.filter((n) => n === undefined)).toHaveLength(1);
    expect(nodes.at(-1)).toBeUndefined();
    expect(sent.at(-1)!.payload).toContain('new.bin');
    await publisher.stop();
  });
});
