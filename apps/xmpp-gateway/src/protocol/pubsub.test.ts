import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { NS_PUBSUB, NS_PUBSUB_EVENT, NS_SHARES } from './namespaces.js';
import { itemsResultPayload, publishPayload, sharesEvent } from './pubsub.js';

const shares = () => xml('user_shares', { xmlns: NS_SHARES });
const message = (...children: ReturnType<typeof xml>[]) =>
  xml(
    'message',
    { from: 'alice@example.org', type: 'headline' },
    xml('event', { xmlns: NS_PUBSUB_EVENT }, ...children),
  );

describe('publishPayload', () => {
  it('publishes item "current" to the shares node', () => {
    expect(publishPayload(shares()).toString()).toBe(
      `<pubsub xmlns="${NS_PUBSUB}"><publish node="${NS_SHARES}"><item id="current"><user_shares xmlns="${NS_SHARES}"/></item></publish></pubsub>`,
    );
  });
});

describe('sharesEvent', () => {
  it('finds the payload of a shares notification', () => {
    const ev = sharesEvent(
      message(xml('items', { node: NS_SHARES }, xml('item', { id: 'current' }, shares()))),
    );
    expect(ev?.kind).toBe('item');
    expect(ev?.kind === 'item' && ev.payload?.name).toBe('user_shares');
  });

  it('reads a retract or purge as "no shares"', () => {
    expect(
      sharesEvent(message(xml('items', { node: NS_SHARES }, xml('retract', { id: 'current' })))),
    ).toEqual({ kind: 'retract' });
    expect(sharesEvent(message(xml('purge', { node: NS_SHARES })))).toEqual({ kind: 'retract' });
  });

  it('ignores other nodes, other messages, and an item without payload is empty', () => {
    expect(
      sharesEvent(message(xml('items', { node: 'urn:xmpp:avatar:metadata' }, xml('item', {})))),
    ).toBeNull();
    expect(sharesEvent(xml('message', {}, xml('body', {}, 'hi')))).toBeNull();
    expect(sharesEvent(message(xml('items', { node: NS_SHARES }, xml('item', { id: 'current' }))))).toEqual({
      kind: 'item',
      payload: null,
    });
  });
});

describe('itemsResultPayload', () => {
  it('extracts the item payload of an items result', () => {
    const pubsub = xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml('items', { node: NS_SHARES }, xml('item', { id: 'current' }, shares())),
    );
    expect(itemsResultPayload(pubsub)?.name).toBe('user_shares');
    expect(itemsResultPayload(null)).toBeNull();
  });
});
