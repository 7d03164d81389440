import xml, { type Element } from '@xmpp/xml';
import { GROUPS_SIGNAL_NODE } from './group-nodes.js';
import { INDEX_NODE, ITEM_ID, NS_PUBSUB, NS_PUBSUB_EVENT, NS_SHARES } from './namespaces.js';

/** The `<pubsub/>` child of the IQ that publishes to one of our own PEP nodes (no `to`). */
export function publishPayload(payload: Element, node = NS_SHARES, id = ITEM_ID): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)));
}

/** `<pubsub#owner>` removing every item of our own PEP node `node` (subscribers are told). */
export function purgeNode(node: string): Element {
  return xml('pubsub', { xmlns: `${NS_PUBSUB}#owner` }, xml('purge', { node }));
}

/** The `<pubsub/>` child of the IQ that fetches the current item of a PEP node. */
export function itemsQuery(node = NS_SHARES): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node, max_items: '1' }));
}

/**
 * `index`: an item of our bucket index node (protocol/buckets.ts), not of the original node.
 * `groups`: the sender's group nodes changed (protocol/group-nodes.ts): read them again.
 */
export type SharesEvent =
  { kind: 'item'; payload: Element | null; index?: true } | { kind: 'retract' } | { kind: 'groups' };

/**
 * Find a shares notification in a message: `<event xmlns=pubsub#event><items node=NS>` (or
 * the node of our bucket index).
 * Returns null when the message is about something else. `payload` is the first child of the
 * last `<item/>` (null if the item is empty). A `<retract/>` or `<purge/>` means "no shares".
 */
export function sharesEvent(message: Element): SharesEvent | null {
  const event = message.getChild('event', NS_PUBSUB_EVENT);
  if (!event) return null;
  const purge = event.getChild('purge');
  if (purge && purge.attrs.node === NS_SHARES) return { kind: 'retract' };
  const items = event.getChild('items');
  // (Any item or retraction: what the group nodes hold is read from them, not from the signal.)
  if (items?.attrs.node === GROUPS_SIGNAL_NODE) return { kind: 'groups' };
  if (items?.attrs.node === INDEX_NODE) {
    // (A retracted index means nothing: the original node's item says what the list is.)
    const payload = items.getChildren('item').at(-1)?.getChildElements()[0];
    return payload ? { kind: 'item', payload, index: true } : null;
  }
  if (!items || items.attrs.node !== NS_SHARES) return null;
  const itemElements = items.getChildren('item');
  const last = itemElements[itemElements.length - 1];
  if (last) return { kind: 'item', payload: last.getChildElements()[0] ?? null };
  if (items.getChild('retract')) return { kind: 'retract' };
  return null;
}

/** The payload of the current item in a pubsub items result (`<pubsub><items><item>`). */
export function itemsResultPayload(pubsub: Element | null | undefined): Element | null {
  const items = pubsub?.getChild('items');
  const itemElements = items?.getChildren('item') ?? [];
  return itemElements[itemElements.length - 1]?.getChildElements()[0] ?? null;
}
