import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  GROUP_NODE_PREFIX,
  GroupNodeNames,
  groupNodesIn,
  isGroupNode,
  MAX_GROUP_NODES,
} from './group-nodes.js';

describe('group node names', () => {
  const names = new GroupNodeNames(Buffer.alloc(32, 1));

  it('depend on the group set only (not its order), and name neither groups nor members', () => {
    const node = names.node(['work', 'family']);
    expect(node).toBe(names.node(['family', 'work', 'family']));
    expect(node).not.toBe(names.node(['family']));
    expect(node).not.toContain('family');
    expect(isGroupNode(node)).toBe(true);
    expect(names.isOurs(node)).toBe(true);
  });

  it('another instance (another secret) has other names', () => {
    const other = new GroupNodeNames(Buffer.alloc(32, 2));
    expect(other.node(['family'])).not.toBe(names.node(['family']));
    expect(names.isOurs(other.node(['family']))).toBe(false);
  });
});

describe('groupNodesIn (a contact’s disco#items)', () => {
  const owner = 'alice@example.org';
  const names = new GroupNodeNames(Buffer.alloc(32, 3));
  const item = (jid: string, node: string) => xml('item', { jid, node });

  it('keeps only well-formed group nodes of the owner, capped', () => {
    const good = names.node(['family']);
    const query = xml(
      'query',
      { xmlns: 'http://jabber.org/protocol/disco#items' },
      item('Alice@example.org', good),
      item('mallory@example.org', names.node(['work'])),
      item(owner, 'https://xmpp.kwoh.de/protocol/shares'),
      item(owner, `${GROUP_NODE_PREFIX}../../etc`),
      item(owner, `${GROUP_NODE_PREFIX}${'a'.repeat(5000)}`),
      ...Array.from({ length: 100 }, (_, k) => item(owner, names.node([`g${k}`]))),
    );
    const nodes = groupNodesIn(query, owner);
    expect(nodes.length).toBe(MAX_GROUP_NODES);
    expect(nodes.every(isGroupNode)).toBe(true);
    expect(groupNodesIn(xml('query', {}, item(owner, good)), owner)).toEqual([good]);
    expect(groupNodesIn(undefined, owner)).toEqual([]);
  });
});
