import { createHash } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { createLogger } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { ContactIndex } from '../domain/contact-index.js';
import { INDEX_NODE, bucketNode, bucketOf, layoutList } from '../protocol/buckets.js';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import type { UploadPace } from '../xmpp/upload-pace.js';
import { FriendsLists } from './friends-lists.js';
import type { GroupListReader } from './group-list-reader.js';
import { ListReader } from './list-reader.js';

/*
 * The periodic check of a contact's list (checkContact), with a stand-in session whose server
 * holds alice's items in `items` (node → payload; the original node is `current`).
 */

const ALICE = 'alice@example.org';
const log = createLogger('friends-lists-test', 'silent');
const hash = (i: number) => createHash('sha1').update(`share ${i}`).digest('hex');
const list = (count: number): ResourceEntry[] => [
  {
    resource: 'laptop/e1',
    shares: Array.from({ length: count }, (_, i) => ({
      hash: hash(i + 1),
      name: `file-${i}.bin`,
      size: i + 1,
    })),
    endpoints: [{ address: '192.0.2.1', port: 6881 }],
  },
];

function setUp() {
  const items = new Map<string, Element>();
  const fetched: string[] = [];
  const session = {
    online: true,
    bareJid: 'bob@example.org',
    isTrusted: (jid: string) => jid === ALICE,
    fetchItem: (node: string | undefined) => {
      fetched.push(node ?? 'current');
      return Promise.resolve(items.get(node ?? 'current') ?? null);
    },
  } as unknown as XmppSession;
  const pace = { take: () => Promise.resolve() } as unknown as UploadPace;
  const reader = new ListReader({ session, log, pace, onOwnBuckets: () => undefined });
  const index = new ContactIndex();
  const changes: number[] = [];
  const lists = new FriendsLists({
    session,
    log,
    reader,
    groupReader: { read: () => Promise.resolve([]) } as unknown as GroupListReader,
    index,
    ownList: (r) => r,
    onList: () => changes.push(index.get(ALICE)?.resources[0]?.shares.length ?? 0),
  });
  /** Publish `count` shares as alice's gateway lays them out (whole, or in buckets with an index). */
  const publish = (count: number) => {
    const layout = layoutList(list(count), 64 * 1024, 8 * 1024);
    items.clear();
    items.set('current', layout.current);
    if (layout.index) items.set(INDEX_NODE, layout.index);
    for (const b of layout.buckets) items.set(bucketNode(b.index), b.payload);
    return layout;
  };
  /** Run one check of alice's list and wait until it has fetched `n` more items. */
  const check = async (n: number) => {
    const before = fetched.length;
    lists.checkContact(ALICE);
    const deadline = Date.now() + 10_000;
    while (fetched.length < before + n) {
      if (Date.now() > deadline)
        throw new Error(`the check fetched ${fetched.length - before} of ${n} items`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Let the read and the apply that follow the last fetch settle.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    return fetched.slice(before);
  };
  return { items, publish, check, changes };
}

describe('FriendsLists.checkContact', () => {
  it('a whole list: one fetch of current; read and applied only when it changed', async () => {
    const t = setUp();
    t.publish(2);
    expect(await t.check(1)).toEqual(['current']);
    expect(t.changes).toEqual([2]);
    expect(await t.check(1)).toEqual(['current']);
    expect(t.changes).toEqual([2]); // unchanged: nothing applied
    t.publish(3);
    expect(await t.check(1)).toEqual(['current']);
    expect(t.changes).toEqual([2, 3]);
  });

  it('a list in buckets: the index is fetched, and only the buckets that changed', async () => {
    const t = setUp();
    t.publish(300);
    // Nothing read before: `current` names the index, which names two buckets.
    const first = await t.check(4);
    expect(first.slice(0, 2)).toEqual(['current', INDEX_NODE]);
    expect(first.slice(2).sort()).toEqual([bucketNode(0), bucketNode(1)]);
    expect(t.changes).toEqual([300]);
    // Unchanged: the index alone.
    expect(await t.check(1)).toEqual([INDEX_NODE]);
    expect(t.changes).toEqual([300]);
    // One share more: the index and the one bucket it went to.
    const layout = t.publish(301);
    expect(await t.check(2)).toEqual([INDEX_NODE, bucketNode(bucketOf(hash(301), layout.buckets.length))]);
    expect(t.changes).toEqual([300, 301]);
  });

  it('an index gone (the list is whole again): current is read instead', async () => {
    const t = setUp();
    t.publish(300);
    await t.check(4);
    t.publish(2);
    expect(await t.check(2)).toEqual([INDEX_NODE, 'current']);
    expect(t.changes).toEqual([300, 2]);
  });
});
