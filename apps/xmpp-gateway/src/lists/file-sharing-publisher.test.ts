import type { Element } from '@xmpp/xml';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import { UploadPace } from '../xmpp/upload-pace.js';
import { FileSharingPublisher } from './file-sharing-publisher.js';

const h = (c: string) => c.repeat(40);

/**
 * What the publisher sends after login, against a session stand-in that records IQs and answers
 * disco#items with the ids the server "holds" (pure logic: which items are published, retracted,
 * kept).
 */
function setUp(
  serverIds: string[],
  own: ResourceEntry[],
  siblings: () => string[] | null,
  /** The server's limit on max_items (a larger number is refused, as Prosody and ejabberd do). */
  limit = Infinity,
) {
  const sent: { kind: string; id: string | undefined }[] = [];
  const session = {
    online: true,
    bareJid: 'alice@example.org',
    resource: 'home',
    iq: (_type: string, _to: string, child: Element): Promise<Element | undefined> => {
      const op = child.getChildElements()[0];
      if (child.attrs.xmlns === 'http://jabber.org/protocol/disco#items') {
        return Promise.resolve({
          getChildren: () => serverIds.map((id) => ({ attrs: { jid: 'alice@example.org', name: id } })),
        } as unknown as Element);
      }
      if (op?.name === 'configure') {
        const value = op
          .getChild('x')
          ?.getChildren('field')
          .find((f) => f.attrs.var === 'pubsub#max_items');
        const maxItems = value?.getChildText('value') ?? '';
        if (maxItems !== 'max' && Number(maxItems) > limit)
          return Promise.reject(Object.assign(new Error('not-acceptable'), { condition: 'not-acceptable' }));
      }
      sent.push({ kind: op?.name ?? '?', id: op?.getChild('item')?.attrs.id as string | undefined });
      return Promise.resolve(undefined);
    },
  } as unknown as XmppSession;
  const log = pino({ level: 'silent' });
  const publisher = new FileSharingPublisher({
    session,
    log,
    pace: new UploadPace({ bytesPerSecond: 10_000_000, burstBytes: 10_000_000 }, log),
    ownEntries: () => own,
    siblingHashes: () => {
      const known = siblings();
      return known && new Set(known);
    },
  });
  return { publisher, sent };
}

const entry = (hashes: string[]): ResourceEntry => ({
  resource: 'home/e1',
  shares: hashes.map((hash) => ({ hash, name: `n-${hash.slice(0, 4)}`, size: 1 })),
  endpoints: [{ address: '198.51.100.1', port: 6881 }],
});

describe('FileSharingPublisher after login', () => {
  it('retracts items no instance holds, keeps siblings’, publishes missing ones, refreshes the rest last', async () => {
    const { publisher, sent } = setUp([h('a'), h('b'), h('c')], [entry([h('a'), h('d')])], () => [h('c')]);
    await publisher.onOnline();
    await publisher.idle();
    const items = sent.filter((s) => s.kind !== 'configure');
    expect(items).toEqual([
      { kind: 'retract', id: h('b') },
      { kind: 'publish', id: h('d') },
      { kind: 'publish', id: h('a') },
    ]);
    // The node's max_items is set once, after the first publish.
    expect(sent.filter((s) => s.kind === 'configure')).toHaveLength(1);
  });

  it('retracts nothing until the siblings are known', async () => {
    let siblings: string[] | null = null;
    const { publisher, sent } = setUp([h('a'), h('b')], [entry([h('a')])], () => siblings);
    await publisher.onOnline();
    await publisher.idle();
    expect(sent.filter((s) => s.kind === 'retract')).toEqual([]);
    siblings = [];
    publisher.trigger();
    await publisher.idle();
    expect(sent.filter((s) => s.kind === 'retract')).toEqual([{ kind: 'retract', id: h('b') }]);
  });

  it('sends nothing more when nothing changed; one publish per added share', async () => {
    const own = [entry([h('a')])];
    const { publisher, sent } = setUp([], own, () => []);
    await publisher.onOnline();
    await publisher.idle();
    const before = sent.length;
    publisher.trigger();
    await publisher.idle();
    expect(sent.length).toBe(before);
    own[0] = entry([h('a'), h('e')]);
    publisher.trigger();
    await publisher.idle();
    expect(sent.slice(before)).toEqual([{ kind: 'publish', id: h('e') }]);
  });
});

describe('FileSharingPublisher when a share or our addresses change', () => {
  it("publishes again a share's item when its SHA-256 becomes known", async () => {
    const own = [entry([h('a'), h('b')])];
    const { publisher, sent } = setUp([], own, () => []);
    await publisher.onOnline();
    await publisher.idle();
    const before = sent.length;
    const sha256 = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';
    own[0] = { ...own[0]!, shares: [{ ...own[0]!.shares[0]!, sha256 }, own[0]!.shares[1]!] };
    publisher.trigger();
    await publisher.idle();
    expect(sent.slice(before)).toEqual([{ kind: 'publish', id: h('a') }]);
  });

  it('publishes again exactly the items whose payload changed (name, size, endpoints)', async () => {
    const own = [entry([h('a'), h('b')])];
    const { publisher, sent } = setUp([], own, () => []);
    await publisher.onOnline();
    await publisher.idle();
    let before = sent.length;
    own[0] = {
      ...entry([h('a'), h('b')]),
      shares: [{ hash: h('a'), name: 'renamed', size: 1 }, own[0]!.shares[1]!],
    };
    publisher.trigger();
    await publisher.idle();
    expect(sent.slice(before)).toEqual([{ kind: 'publish', id: h('a') }]);
    before = sent.length;
    own[0] = { ...own[0], endpoints: [{ address: '198.51.100.2', port: 6881 }] };
    publisher.trigger();
    await publisher.idle();
    expect(
      sent
        .slice(before)
        .map((s) => s.id)
        .sort(),
    ).toEqual([h('a'), h('b')]);
  });
});

describe('FileSharingPublisher with more shares than the node keeps', () => {
  const hashes = Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(40, '0'));
  const published = (sent: { kind: string; id: string | undefined }[]) =>
    sent.filter((s) => s.kind === 'publish').map((s) => s.id);

  it('publishes as many as the cap the server accepted (256 of 300), by info-hash among equals', async () => {
    const { publisher, sent } = setUp([], [entry(hashes)], () => [], 256);
    await publisher.onOnline();
    await publisher.idle();
    expect(sent.filter((s) => s.kind === 'configure')).toHaveLength(1);
    expect(published(sent)).toEqual(hashes.slice(0, 256));
    expect(sent.filter((s) => s.kind === 'retract')).toEqual([]);
  });

  it('after login, learns the cap first and keeps the 256 items the node holds: nothing published anew or retracted', async () => {
    const held = hashes.slice(44);
    const { publisher, sent } = setUp(held, [entry(hashes)], () => [], 256);
    await publisher.onOnline();
    await publisher.idle();
    expect(sent[0]?.kind).toBe('configure');
    expect(sent.filter((s) => s.kind === 'retract')).toEqual([]);
    // Only refreshed (their magnets may name old addresses).
    expect(new Set(published(sent))).toEqual(new Set(held));
    expect(published(sent)).toHaveLength(256);
  });

  it('after login, items over the cap and of shares we no longer hold are retracted first', async () => {
    // From a run before the cap was kept (a server whose limit was lowered since), and one gone share.
    const gone = 'e'.repeat(40);
    const { publisher, sent } = setUp([gone, ...hashes], [entry(hashes)], () => [], 256);
    await publisher.onOnline();
    await publisher.idle();
    expect(sent.filter((s) => s.kind === 'retract').map((s) => s.id)).toEqual([gone, ...hashes.slice(256)]);
    expect(new Set(published(sent))).toEqual(new Set(hashes.slice(0, 256)));
  });

  it('a share added to a full node is published; the last-ranked item is retracted first', async () => {
    const own = [entry(hashes)];
    const { publisher, sent } = setUp([], own, () => [], 256);
    await publisher.onOnline();
    await publisher.idle();
    const before = sent.length;
    const added = 'f'.repeat(40);
    own[0] = entry([...hashes, added]);
    publisher.trigger();
    await publisher.idle();
    expect(sent.slice(before)).toEqual([
      { kind: 'retract', id: hashes[255] },
      { kind: 'publish', id: added },
    ]);
  });
});
describe('background pacing (UploadPace.takeSpare)', () => {
  it('a background stanza waits while the pace lacks the reserve; a foreground one asked later goes first', async () => {
    const pace = new UploadPace({ bytesPerSecond: 100_000, burstBytes: 16_000 }, pino({ level: 'silent' }));
    await pace.take(16_000); // the burst spent (a list's first publish)
    const order: string[] = [];
    const background = pace.takeSpare(1_000, 8_000).then(() => order.push('background'));
    const foreground = pace.take(5_000).then(() => order.push('foreground'));
    await Promise.all([background, foreground]);
    expect(order).toEqual(['foreground', 'background']);
  });
});
