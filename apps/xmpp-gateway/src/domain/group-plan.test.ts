import { describe, expect, it } from 'vitest';
import { maySee, mergeGroupEntries, planGroups, type RosterMember } from './group-plan.js';

const h = (c: string) => c.repeat(40);
const share = (c: string) => ({ hash: h(c), name: `share-${c}`, size: 1 });
const endpoint = { address: '198.51.100.1', port: 7000 };
const entry = { resource: 'laptop/e1', shares: [share('a'), share('b'), share('c')], endpoints: [endpoint] };
const roster = new Map<string, RosterMember>([
  ['bob@x', { subscription: 'both', groups: ['family'] }],
  ['carol@x', { subscription: 'both', groups: ['work'] }],
  ['dave@x', { subscription: 'to', groups: ['family'] }], // does not receive our presence
  ['erin@x', { subscription: 'from', groups: ['work', 'family'] }],
]);

describe('planGroups', () => {
  it('keeps unrestricted shares for everyone and puts each group set on its own node with its members', () => {
    const plan = planGroups({
      entries: [entry],
      visibility: new Map([
        [h('b'), ['family']],
        [h('c'), ['work', 'family']],
      ]),
      roster,
    });
    expect(plan.everyone).toEqual([{ ...entry, shares: [share('a')] }]);
    expect([...plan.nodes.values()]).toEqual([
      { groups: ['family'], entries: [{ ...entry, shares: [share('b')] }], members: ['bob@x', 'erin@x'] },
      {
        groups: ['family', 'work'],
        entries: [{ ...entry, shares: [share('c')] }],
        members: ['bob@x', 'carol@x', 'erin@x'],
      },
    ]);
  });

  it('without restrictions there is no group node and everyone sees everything', () => {
    const plan = planGroups({ entries: [entry], visibility: new Map(), roster });
    expect(plan.everyone).toEqual([entry]);
    expect(plan.nodes.size).toBe(0);
  });

  it('a group nobody is in yet still gets its node, with no members', () => {
    const plan = planGroups({ entries: [entry], visibility: new Map([[h('a'), ['nobody']]]), roster });
    expect([...plan.nodes.values()].map((n) => n.members)).toEqual([[]]);
  });
});

describe('mergeGroupEntries', () => {
  it('adds a group list’s shares to the entry of the same name, and new entries as they are', () => {
    const main = [{ resource: 'r/e1', shares: [share('a')], endpoints: [endpoint] }];
    const merged = mergeGroupEntries(main, [
      [{ resource: 'r/e1', shares: [share('a'), share('b')], endpoints: [endpoint] }],
      [{ resource: 'r/e2', shares: [share('c')], endpoints: [] }],
    ]);
    expect(merged).toEqual([
      { resource: 'r/e1', shares: [share('a'), share('b')], endpoints: [endpoint] },
      { resource: 'r/e2', shares: [share('c')], endpoints: [] },
    ]);
    expect(main[0]?.shares).toEqual([share('a')]); // not changed in place
  });
});

describe('maySee', () => {
  const H = 'a'.repeat(40);
  const visibility = new Map([[H, ['family', 'work']]]);
  const roster = new Map<string, { groups?: string[] }>([
    ['bob@example.org', { groups: ['work'] }],
    ['carol@example.org', { groups: ['gym'] }],
    ['erin@example.org', {}],
  ]);
  const sees = (jid: string, hash = H) =>
    maySee({ hash, jid, self: 'alice@example.org', visibility, roster });

  it('lets a contact in one of the groups reach a restricted share, and nobody else', () => {
    expect(sees('bob@example.org')).toBe(true);
    expect(sees('BOB@example.org')).toBe(true);
    expect(sees('carol@example.org')).toBe(false);
    expect(sees('dave@example.org')).toBe(false); // not on the roster
    expect(sees('erin@example.org')).toBe(false); // in no group
  });

  it('lets every contact reach an unrestricted share, and our own account every share', () => {
    expect(sees('carol@example.org', 'b'.repeat(40))).toBe(true);
    expect(sees('alice@example.org')).toBe(true);
  });
});
