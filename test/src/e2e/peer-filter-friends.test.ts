import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  sha256File,
  shareRandomFile,
  startFriends,
  waitFor,
  waitForShare,
  type BitweenNode,
  type SharesResult,
  type TorrentsResult,
} from '../harness/index.js';

/**
 * Admission as users get it: no BITWEEN_PEER_ALLOW, so alice's engine admits a connection only
 * by its ticket proof (the gateways exchange tickets over XMPP) or an address a legacy contact
 * advertises. bob shares nothing: his list still says where his engine connects from.
 */
describe('friends download through the default peer filter', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], {
      label: 'pf',
      env: { BITWEEN_PEER_ALLOW: '' },
    }));
  });
  afterAll(() => cleanup.run());

  it('alice knows where bob connects from although he shares nothing', async () => {
    const resource = await waitFor(
      async () => {
        const { shares } = await alice.rpc.result<SharesResult>('xmpp.get_shares');
        return Object.values(shares[bob.jid] ?? {}).find((r) => r.ip_v4.length > 0);
      },
      { what: "bob's endpoints at alice" },
    );
    expect(Object.keys(resource.shares)).toEqual([]);
    expect(resource.ip_v4[0]?.[0]).toBe('127.0.0.1');
  });

  it('bob downloads alice’s share, bytes equal', async () => {
    const { hash, sha256 } = await shareRandomFile(alice, 'filtered.bin', 4 * 1024 * 1024);
    await waitForShare(bob, alice, hash);
    expect(await bob.rpc.result('bt.add_torrent_by_hash', { hash })).toBe(true);
    await waitFor(
      async () => {
        const { torrents: mine } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
        const t = mine.find((x) => x.hash === hash);
        return t?.state === 'seeding';
      },
      { what: 'the download to finish through the peer filter', timeoutMs: 120_000 },
    );
    expect(await sha256File(join(bob.dirs.downloads, 'filtered.bin'))).toBe(sha256);
    // alice's engine admitted bob's connection by his ticket (exchanged by the two gateways over
    // XMPP), not by his address or an allow list; and bob admitted alice's the same way.
    const byProof = (node: BitweenNode, jid: string) =>
      node.engine.logs.some((l) => l.msg === 'admitted a peer' && l.by === 'proof' && l.jid === jid);
    expect([byProof(alice, bob.jid), byProof(bob, alice.jid)]).toEqual([true, true]);
  });
});
