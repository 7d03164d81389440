import type { RegisteredEngine } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { ContactIndex } from './contact-index.js';
import { EngineView } from './engine-view.js';
import { mergeOwnList } from './own-list.js';

const H1 = '1'.repeat(40);
const H2 = '2'.repeat(40);
const share = (hash: string) => ({ hash, name: `n${hash[0]}`, size: 1 });
const ep = (address: string, port = 8000) => ({ address, port });

describe('mergeOwnList', () => {
  const base = [
    { resource: 'laptop', online: true, shares: [share(H1)], endpoints: [ep('10.0.0.1')] },
    { resource: 'server', online: true, shares: [share(H2)], endpoints: [ep('10.0.0.2')] },
    { resource: '', online: true, shares: [share(H2)], endpoints: [] },
    { resource: 'empty', online: true, shares: [], endpoints: [ep('10.0.0.3')] },
  ];

  it('replaces our entry, keeps siblings, drops "" and resources without shares', () => {
    const own = { resource: 'laptop', online: true, shares: [share(H2)], endpoints: [ep('10.0.0.9')] };
    expect(mergeOwnList({ base, own, ownResource: 'laptop', departed: new Set() })).toEqual([own, base[1]]);
  });

  it('drops siblings seen leaving', () => {
    const own = { resource: 'laptop', online: true, shares: [share(H1)], endpoints: [] };
    expect(mergeOwnList({ base, own, ownResource: 'laptop', departed: new Set(['server']) })).toEqual([own]);
  });

  it('omits us when we have nothing, and when leaving', () => {
    const own = { resource: 'laptop', online: true, shares: [], endpoints: [ep('10.0.0.9')] };
    expect(mergeOwnList({ base, own, ownResource: 'laptop', departed: new Set() })).toEqual([base[1]]);
    expect(mergeOwnList({ base, own: null, ownResource: 'laptop', departed: new Set() })).toEqual([base[1]]);
    expect(mergeOwnList({ base: [base[0]!], own: null, ownResource: 'laptop', departed: new Set() })).toEqual(
      [],
    );
  });
});

describe('ContactIndex', () => {
  it('replaces a contact wholesale and finds endpoints by hash, without our own', () => {
    const index = new ContactIndex();
    index.replace(
      'bob@x',
      [{ resource: 'a', online: true, shares: [share(H1)], endpoints: [ep('10.0.0.1'), ep('10.0.0.9')] }],
      1,
    );
    index.replace(
      'carol@x',
      [
        {
          resource: 'b',
          online: true,
          shares: [share(H1), share(H2)],
          endpoints: [ep('10.0.0.2'), ep('10.0.0.1')],
        },
      ],
      2,
    );
    const found = index.endpointsFor([H1, H2, '3'.repeat(40)], [ep('10.0.0.9')]);
    expect(found.get(H1)).toEqual([ep('10.0.0.1'), ep('10.0.0.2')]);
    expect(found.get(H2)).toEqual([ep('10.0.0.2'), ep('10.0.0.1')]);
    expect(found.has('3'.repeat(40))).toBe(false);

    index.replace('bob@x', [], 3);
    expect(index.endpointsFor([H1], []).get(H1)).toEqual([ep('10.0.0.2'), ep('10.0.0.1')]);
    expect(index.snapshot().map((c) => [c.jid, c.resources.length])).toEqual([
      ['bob@x', 0],
      ['carol@x', 1],
    ]);
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

  it('merges live engines and forgets silent ones', () => {
    const view = new EngineView();
    view.update('a', engine('a', 10_000, [{ hash: H1, name: 'x', size: 1 }]));
    view.update(
      'b',
      engine('b', 1_000, [
        { hash: H2, name: 'y', size: 2 },
        { hash: '3'.repeat(40), name: null, size: null },
      ]),
    );
    // at t=3500 both are alive (3 beats of 1000 ms); at t=5000 b has missed three beats
    expect(view.shares(3_500).map((s) => s.hash)).toEqual([H1, H2]);
    expect(view.hashes(3_500)).toEqual([H1, H2, '3'.repeat(40)]);
    expect(view.endpoints(3_500)).toEqual([ep('10.0.0.1', 8000), ep('10.0.0.1', 8001)]);
    expect(view.shares(5_000).map((s) => s.hash)).toEqual([H1]);
    view.update('a', null);
    expect(view.live(5_000)).toEqual([]);
  });
});
