import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@bitween/runtime';
import { GroupNodeNames } from '../protocol/group-nodes.js';
import { DEFAULT_LIMITS, encodeUserShares } from '../protocol/shares-codec.js';
import type { XmppSession } from '../xmpp/session.js';
import { GroupListReader } from './group-list-reader.js';

const ALICE = 'alice@example.org';
const names = new GroupNodeNames(Buffer.alloc(32, 7));
const FAMILY = names.node(['family']);
const WORK = names.node(['work']);
const BIG = names.node(['big']);
const list = (hash: string, name = 'n') =>
  encodeUserShares([{ resource: 'laptop/e1', shares: [{ hash, name, size: 1 }], endpoints: [] }]);

/** A session that answers disco#items with `nodes` and item fetches from `items` (an Error: refused). */
function session(nodes: string[], items: Map<string, Element | { condition: string }>): XmppSession {
  const fetched: string[] = [];
  return {
    fetched,
    iq: () =>
      Promise.resolve(
        xml(
          'query',
          { xmlns: 'http://jabber.org/protocol/disco#items' },
          ...nodes.map((node) => xml('item', { jid: ALICE, node })),
        ),
      ),
    fetchItem: (node: string) => {
      fetched.push(node);
      const item = items.get(node);
      if (item && 'condition' in item) return Promise.reject(Object.assign(new Error(item.condition), item));
      return Promise.resolve(item ?? null);
    },
  } as unknown as XmppSession;
}

describe('GroupListReader', () => {
  const log = createLogger('test', 'silent');

  it('reads the group nodes the server lets us read; a refused one is skipped, a malformed one dropped', async () => {
    const reader = new GroupListReader({
      session: session(
        [FAMILY, WORK, 'https://xmpp.kwoh.de/protocol/shares', BIG],
        new Map<string, Element | { condition: string }>([
          [FAMILY, list('a'.repeat(40), 'photos')],
          [WORK, { condition: 'forbidden' }],
          [BIG, xml('something-else', { xmlns: 'urn:example' })],
        ]),
      ),
      log,
    });
    const lists = await reader.read(ALICE);
    expect(lists).toEqual([
      [{ resource: 'laptop/e1', shares: [{ hash: 'a'.repeat(40), name: 'photos', size: 1 }], endpoints: [] }],
    ]);
  });

  it('stops reading once the group lists together pass the byte budget of one list', async () => {
    const s = session(
      [FAMILY, WORK],
      new Map([
        [FAMILY, list('a'.repeat(40), 'x'.repeat(900))],
        [WORK, list('b'.repeat(40))],
      ]),
    );
    const reader = new GroupListReader({
      session: s,
      log,
      limits: { ...DEFAULT_LIMITS, maxPayloadBytes: 500 },
    });
    const lists = await reader.read(ALICE);
    expect(lists?.length).toBe(1);
    expect((s as unknown as { fetched: string[] }).fetched).toEqual([FAMILY]);
  });
});
