import { createHmac } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { ITEM_ID, NS_FULL, NS_PUBSUB } from './namespaces.js';

/**
 * Shares seen only by some roster groups (per-group visibility), on the wire:
 * - one PEP node per distinct group set, `urn:bitween:shares:0/group/<instance>-<set>` (opaque
 *   ids: a keyed hash, so neither group names nor members can be guessed from the name), its single
 *   item `current` an original-format `<user_shares/>` with only those shares; access model
 *   `whitelist` with the contacts of those groups as `member`s (Prosody 0.12's PEP has no `roster`
 *   access model; whitelist is enforced by both Prosody and ejabberd: anyone else is refused the
 *   items, the subscription and, on ejabberd, even the node in disco#items);
 * - one signal node `urn:bitween:shares:0/groups` (access model presence, like the original node)
 *   whose item `current` is `<groups xmlns="urn:bitween:shares:0" v="…"/>`: `v` changes whenever a
 *   group node's item or members change. Friends advertise `…/groups+notify`, so the server pushes
 *   it; they then list our nodes (disco#items) and fetch the group nodes' items (those they may read).
 */
export const GROUP_NODE_PREFIX = `${NS_FULL}/group/`;
export const GROUPS_SIGNAL_NODE = `${NS_FULL}/groups`;
export const GROUPS_SIGNAL_NOTIFY = `${GROUPS_SIGNAL_NODE}+notify`;
/** The most group nodes read from one contact (more are ignored). */
export const MAX_GROUP_NODES = 32;

const NS_PUBSUB_OWNER = `${NS_PUBSUB}#owner`;
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NODE_ID = /^[0-9a-f]{8}-[0-9a-f]{16}$/;

/** Names our group nodes: keyed by the instance's secret, so another instance of the account never collides. */
export class GroupNodeNames {
  readonly #secret: Buffer;
  /** This instance's part of every node name. */
  readonly instance: string;

  constructor(secret: Buffer) {
    this.#secret = secret;
    this.instance = this.#mac('instance').slice(0, 8);
  }

  /** The node of a group set (order and duplicates do not matter). */
  node(groups: readonly string[]): string {
    const set = [...new Set(groups)].sort();
    return `${GROUP_NODE_PREFIX}${this.instance}-${this.#mac(`groups\n${JSON.stringify(set)}`).slice(0, 16)}`;
  }

  /** Whether `node` is one of this instance's group nodes. */
  isOurs(node: string): boolean {
    return node.startsWith(`${GROUP_NODE_PREFIX}${this.instance}-`);
  }

  /** The signal's version for a state (opaque: a keyed hash of it). */
  version(state: string): string {
    return this.#mac(`signal\n${state}`).slice(0, 16);
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('hex');
  }
}

/** Whether `node` names a group node (any instance's). */
export function isGroupNode(node: string): boolean {
  return node.startsWith(GROUP_NODE_PREFIX) && NODE_ID.test(node.slice(GROUP_NODE_PREFIX.length));
}

/** `<pubsub>` publishing `payload` as item `current` of a group node, created (or kept) with access model whitelist. */
export function groupPublish(node: string, payload: Element): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml('publish', { node }, xml('item', { id: ITEM_ID }, payload)),
    xml(
      'publish-options',
      {},
      xml(
        'x',
        { xmlns: 'jabber:x:data', type: 'submit' },
        xml(
          'field',
          { var: 'FORM_TYPE', type: 'hidden' },
          xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options'),
        ),
        xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'whitelist')),
      ),
    ),
  );
}

/** `<pubsub#owner>` making `jids` members of `node`. */
export function addMembers(node: string, jids: readonly string[]): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB_OWNER },
    xml('affiliations', { node }, ...jids.map((jid) => xml('affiliation', { jid, affiliation: 'member' }))),
  );
}

/** `<pubsub#owner>` asking for `node`'s affiliations. */
export function affiliationsQuery(node: string): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('affiliations', { node }));
}

/** The members (affiliation `member`) in an affiliations result, bare JIDs lowercased. */
export function membersOf(pubsub: Element | undefined): string[] {
  const list = pubsub?.getChild('affiliations')?.getChildren('affiliation') ?? [];
  return list
    .filter((a) => a.attrs.affiliation === 'member' && typeof a.attrs.jid === 'string')
    .map((a) => String(a.attrs.jid).toLowerCase());
}

/** `<pubsub#owner>` deleting `node` (its item, members and subscriptions go with it). */
export function deleteNode(node: string): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node }));
}

/** The signal item's payload. */
export function groupsSignal(version: string): Element {
  return xml('groups', { xmlns: NS_FULL, v: version });
}

/** `<query>` listing an account's PEP nodes. */
export function discoItemsQuery(): Element {
  return xml('query', { xmlns: NS_DISCO_ITEMS });
}

/**
 * The group nodes `owner` lists in a disco#items result (items of other JIDs, other nodes and
 * malformed names ignored; at most MAX_GROUP_NODES, sorted).
 */
export function groupNodesIn(query: Element | undefined, owner: string): string[] {
  const nodes = new Set<string>();
  for (const item of query?.getChildren('item') ?? []) {
    const jid = typeof item.attrs.jid === 'string' ? item.attrs.jid.toLowerCase() : '';
    const node = typeof item.attrs.node === 'string' ? item.attrs.node : '';
    if (jid === owner && isGroupNode(node)) nodes.add(node);
  }
  return [...nodes].sort().slice(0, MAX_GROUP_NODES);
}
