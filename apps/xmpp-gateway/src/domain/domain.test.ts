import type { RegisteredEngine } from '@bitween/bus';
import { describe, expect, it } from 'vitest';
import { ContactIndex } from './contact-index.js';
import { EngineView } from './engine-view.js';
import { entryName, isEntryOf, xmppResourceOf } from './entry-names.js';
import { listKey, mergeOwnList } from './own-list.js';
import { PendingSubscriptions } from './pending-subscriptions.js';
import { PresenceBook } from './presence-book.js';

const H1 = '1'.repeat(40);
const H2 = '2'.repeat(40);
const H3 = '3'.repeat(40);
const share = (hash: string) => ({ hash, name: `n${hash[0]}`, size: 1 });
const ep = (address: string, port = 8000) => ({ address, port });
/** An endpoint as `endpointsFor` hands it on: with the contact offering it. */
const offer = (jid: string, address: string, port = 8000) => ({ ...ep(address, port), jid });

describe('entry names', () => {
  it('names an engine entry after our XMPP resource and reads originals too', () => {
    expect(entryName('laptop', 'engine-1')).toBe('laptop/engine-1');
    expect(xmppResourceOf('laptop/engine-1')).toBe('laptop');
    expect(xmppResourceOf('laptop')).toBe('laptop'); // an original Bitween's entry
    expect(xmppResourceOf('a/b/c')).toBe('a');
    expect(isEntryOf('laptop/e', 'laptop')).toBe(true);
    expect(isEntryOf('laptop', 'laptop')).toBe(true);
    expect(isEntryOf('laptop2/e', 'laptop')).toBe(false);
  });
});

describe('mergeOwnList', () => {
  const base = [
    { resource: 'laptop/e1', shares: [share(H1)], endpoints: [ep('10.0.0.1')] },
    { resource: 'laptop/old-engine', shares: [share(H3)], endpoints: [ep('10.0.0.1', 9000)] },
    { resource: 'server/e1', shares: [share(H2)], endpoints: [ep('10.0.0.2')] },
    { resource: 'original', shares: [share(H2)], endpoints: [ep('10.0.0.4')] },
    { resource: '', shares: [share(H2)], endpoints: [] },
    { resource: 'empty', shares: [], endpoints: [ep('10.0.0.3')] },
  ];
  const all = () => true;

  it('replaces all of our entries, keeps siblings (also those with endpoints only) and drops ""', () => {
    const own = [{ resource: 'laptop/e1', shares: [share(H2)], endpoints: [ep('10.0.0.9')] }];
    expect(mergeOwnList({ base, own, ownResource: 'laptop', keepSibling: all })).toEqual([
      own[0],
      base[2],
      base[3],
      base[5],
    ]);
  });

  it('drops siblings that are not to be kept (offline), by XMPP resource', () => {
    const own = [{ resource: 'laptop/e1', shares: [share(H1)], endpoints: [] }];
    expect(mergeOwnList({ base, own, ownResource: 'laptop', keepSibling: (r) => r !== 'server' })).toEqual([
      own[0],
      base[3],
      base[5],
    ]);
  });

  it("keeps our endpoints without shares (friends' peer filters need them), omits us when leaving", () => {
    const own = [{ resource: 'laptop/e1', shares: [], endpoints: [ep('10.0.0.9')] }];
    expect(mergeOwnList({ base, own, ownResource: 'laptop', keepSibling: all })).toEqual([
      own[0],
      base[2],
      base[3],
      base[5],
    ]);
    const nothing = [{ resource: 'laptop/e1', shares: [], endpoints: [] }];
    expect(mergeOwnList({ base, own: nothing, ownResource: 'laptop', keepSibling: all })).toEqual([
      base[2],
      base[3],
      base[5],
    ]);
    expect(mergeOwnList({ base, own: null, ownResource: 'laptop', keepSibling: all })).toEqual([
      base[2],
      base[3],
      base[5],
    ]);
    expect(mergeOwnList({ base: [base[0]!], own: null, ownResource: 'laptop', keepSibling: all })).toEqual(
      [],
    );
  });

  it('compares lists regardless of entry order', () => {
    expect(listKey([base[0]!, base[2]!])).toBe(listKey([base[2]!, base[0]!]));
    expect(listKey([base[0]!])).not.toBe(listKey([base[2]!]));
  });
});

describe('PresenceBook', () => {
  it('tracks resources and reports changes', () => {
    const p = new PresenceBook();
    expect(p.set('bob@x', 'a', true)).toBe(true);
    expect(p.set('bob@x', 'a', true)).toBe(false);
    expect(p.set('bob@x', 'b', true)).toBe(true);
    expect(p.resources('bob@x')).toEqual(['a', 'b']);
    expect(p.set('bob@x', 'a', false)).toBe(true);
    expect(p.isOnline('bob@x', 'a')).toBe(false);
    expect(p.isOnline('bob@x', 'b')).toBe(true);
    expect(p.set('carol@x', 'z', false)).toBe(false);
    expect(p.clear()).toEqual(['bob@x']);
    expect(p.resources('bob@x')).toEqual([]);
  });

  it('knows which contacts run bitween while such a resource is available', () => {
    const p = new PresenceBook();
    p.set('bob@x', 'phone', true);
    expect(p.runsBitween('bob@x')).toBe(false);
    p.set('bob@x', 'bitween', true, true);
    expect(p.runsBitween('bob@x')).toBe(true);
    p.set('bob@x', 'bitween', false);
    expect(p.runsBitween('bob@x')).toBe(false);
    p.set('bob@x', 'bitween', true, true);
    // A later presence of that resource without our caps: another software took the resource.
    p.set('bob@x', 'bitween', true, false);
    expect(p.runsBitween('bob@x')).toBe(false);
    p.set('bob@x', 'bitween', true, true);
    p.clear();
    expect(p.runsBitween('bob@x')).toBe(false);
  });
});

describe('ContactIndex', () => {
  it('compares endpoints in canonical form (one address written two ways is one endpoint)', () => {
    const index = new ContactIndex();
    index.replace('bob@x', [{ resource: 'a', shares: [share(H1)], endpoints: [ep('::1')] }], 1);
    index.replace('carol@x', [{ resource: '', shares: [share(H1)], endpoints: [ep('0:0:0:0:0:0:0:1')] }], 2);
    expect(index.endpointsFor([H1], []).get(H1)).toEqual([offer('bob@x', '::1')]);
    // Our own endpoint, written the long way, is still ours.
    expect(index.endpointsFor([H1], [ep('0:0:0:0:0:0:0:1')]).has(H1)).toBe(true);
    expect(index.endpointsFor([H1], [ep('0:0:0:0:0:0:0:1')]).get(H1)).toEqual([]);
  });

  it('replaces a contact wholesale and finds endpoints by hash, without our own', () => {
    const index = new ContactIndex();
    index.replace(
      'bob@x',
      [{ resource: 'a', shares: [share(H1)], endpoints: [ep('10.0.0.1'), ep('10.0.0.9')] }],
      1,
    );
    index.replace(
      'carol@x',
      [{ resource: 'b', shares: [share(H1), share(H2)], endpoints: [ep('10.0.0.2'), ep('10.0.0.1')] }],
      2,
    );
    const found = index.endpointsFor([H1, H2, H3], [ep('10.0.0.9')]);
    expect(found.get(H1)).toEqual([offer('bob@x', '10.0.0.1'), offer('carol@x', '10.0.0.2')]);
    expect(found.get(H2)).toEqual([offer('carol@x', '10.0.0.2'), offer('carol@x', '10.0.0.1')]);
    expect(found.has(H3)).toBe(false);

    index.replace('bob@x', [], 3);
    expect(index.endpointsFor([H1], []).get(H1)).toEqual([
      offer('carol@x', '10.0.0.2'),
      offer('carol@x', '10.0.0.1'),
    ]);
    expect(index.snapshot().map((c) => [c.jid, c.resources.length])).toEqual([
      ['bob@x', 0],
      ['carol@x', 1],
    ]);
  });

  it('marks entries online from presence; offline ones keep their list but give no endpoints', () => {
    const presence = new PresenceBook();
    const index = new ContactIndex((jid, entry) => presence.isOnline(jid, xmppResourceOf(entry)));
    index.replace(
      'bob@x',
      [
        { resource: 'laptop/e1', shares: [share(H1)], endpoints: [ep('10.0.0.1')] },
        { resource: 'server/e1', shares: [share(H1)], endpoints: [ep('10.0.0.2')] },
      ],
      1,
    );
    presence.set('bob@x', 'laptop', true);
    expect(index.get('bob@x')?.resources.map((r) => [r.resource, r.online])).toEqual([
      ['laptop/e1', true],
      ['server/e1', false],
    ]);
    expect(index.endpointsFor([H1], []).get(H1)).toEqual([offer('bob@x', '10.0.0.1')]);
    presence.set('bob@x', 'laptop', false);
    expect(index.endpointsFor([H1], []).has(H1)).toBe(false);
    expect(index.get('bob@x')?.resources).toHaveLength(2); // the list is kept
  });

  it("gives a LAN endpoint the public addresses of its entry (the engine's LAN evidence)", () => {
    const index = new ContactIndex();
    index.replace(
      'bob@x',
      [
        {
          resource: 'home/e1',
          shares: [share(H1)],
          endpoints: [ep('192.168.1.30'), ep('203.0.113.5'), ep('2001:db8::5'), ep('127.0.0.1')],
        },
        // Another entry of bob's offering no public address: its LAN endpoint has no evidence.
        { resource: 'work/e1', shares: [share(H1)], endpoints: [ep('10.1.1.1')] },
      ],
      1,
    );
    // The same LAN endpoint from carol, behind another router: both public addresses go with it.
    index.replace(
      'carol@x',
      [{ resource: 'c', shares: [share(H1)], endpoints: [ep('192.168.1.30'), ep('198.51.100.7')] }],
      2,
    );
    const evidence = { publicAddresses: ['203.0.113.5', '2001:db8::5'] };
    expect(index.endpointsFor([H1], []).get(H1)).toEqual([
      { ...offer('bob@x', '192.168.1.30'), publicAddresses: ['203.0.113.5', '2001:db8::5', '198.51.100.7'] },
      offer('bob@x', '203.0.113.5'),
      offer('bob@x', '2001:db8::5'),
      offer('bob@x', '127.0.0.1'),
      offer('bob@x', '10.1.1.1'),
      offer('carol@x', '198.51.100.7'),
    ]);
    index.replace('carol@x', [], 3);
    expect(index.endpointsFor([H1], []).get(H1)?.[0]).toEqual({
      ...offer('bob@x', '192.168.1.30'),
      ...evidence,
    });
  });

  it('forgets contacts no longer followed', () => {
    const index = new ContactIndex();
    index.replace('bob@x', [], 1);
    index.replace('eve@x', [], 1);
    expect(index.retain((jid) => jid === 'bob@x')).toEqual(['eve@x']);
    expect(index.snapshot().map((c) => c.jid)).toEqual(['bob@x']);
  });
});

describe('EngineView', () => {
  const engine = (
    engineId: string,
    seenAt: number,
    torrents: RegisteredEngine['state']['torrents'],
  ): RegisteredEngine => ({
    seenAt,
    state: {
      engineId,
      version: '1',
      endpoints: [ep('10.0.0.1', engineId === 'a' ? 8000 : 8001)],
      torrents,
      heartbeatMs: 1000,
    },
  });

  it('gives one entry per live engine with its own endpoints, and forgets silent ones', () => {
    const view = new EngineView();
    view.update('a', engine('a', 10_000, [{ hash: H1, name: 'x', size: 1 }]));
    view.update(
      'b',
      engine('b', 1_000, [
        { hash: H2, name: 'y', size: 2 },
        { hash: H3, name: null, size: null },
      ]),
    );
    // at t=3500 both are alive (3 beats of 1000 ms); at t=5000 b has missed three beats
    expect(view.entries(3_500, 'laptop')).toEqual([
      { resource: 'laptop/a', shares: [{ hash: H1, name: 'x', size: 1 }], endpoints: [ep('10.0.0.1', 8000)] },
      { resource: 'laptop/b', shares: [{ hash: H2, name: 'y', size: 2 }], endpoints: [ep('10.0.0.1', 8001)] },
    ]);
    expect(view.hashes(3_500)).toEqual([H1, H2, H3]);
    expect(view.endpoints(3_500)).toEqual([ep('10.0.0.1', 8000), ep('10.0.0.1', 8001)]);
    expect(view.entries(5_000, 'laptop').map((e) => e.resource)).toEqual(['laptop/a']);
    view.update('a', null);
    expect(view.live(5_000)).toEqual([]);
  });

  it('adds site-wide public addresses with each engine’s own ports, before the private ones', () => {
    const view = new EngineView();
    view.update('a', engine('a', 10_000, [{ hash: H1, name: 'x', size: 1 }]));
    expect(view.entries(10_000, 'r', ['203.0.113.5'])[0]?.endpoints).toEqual([
      ep('203.0.113.5', 8000),
      ep('10.0.0.1', 8000),
    ]);
  });
});

describe('PendingSubscriptions', () => {
  it('holds each JID once, oldest first', () => {
    const p = new PendingSubscriptions();
    expect(p.add('b@x', 2)).toBe(true);
    expect(p.add('a@x', 1)).toBe(true);
    expect(p.add('b@x', 3)).toBe(false);
    expect(p.list()).toEqual([
      { jid: 'a@x', receivedAt: 1 },
      { jid: 'b@x', receivedAt: 2 },
    ]);
    expect(p.delete('a@x')).toBe(true);
    expect(p.has('a@x')).toBe(false);
  });
});
