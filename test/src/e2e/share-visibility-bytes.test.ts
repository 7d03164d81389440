import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { Bus } from '@bitween/bus';
import { xmpp } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  sha256File,
  silentLogger,
  startFriends,
  waitFor,
  waitForShare,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharesResult,
  type TorrentsResult,
  writeRandomFile,
} from '../harness/index.js';
import { connectClient, errorCondition, xml } from '../harness/xmpp-client.js';

interface Shared {
  hash: string;
  sha256: string;
  name: string;
}

interface EngineSummary {
  admission: { admitted: number; refused: Record<string, number> } | null;
}

/**
 * Per-group visibility on the bytes, not only the listing (share-visibility-groups.test.ts covers
 * the listing): alice has bob in her roster group "family" and carol in "work", and restricts X to
 * "family". bob downloads X (bytes checked; he keeps X to "family" in his own roster too, so his
 * copy does not reach carol). carol learns X's hash and alice's address and tries: alice's engine
 * refuses her wire (`hidden`, logged and counted) and alice's gateway refuses her rendezvous as
 * for a hash it does not share; carol's download never gets alice as a peer, and alice's engine
 * does not dial carol for X either. X made visible to every contact again, carol downloads it. No
 * engine admits by address (BITWEEN_PEER_ALLOW empty): every wire proves which contact it is.
 */
describe('per-group visibility is enforced on the bytes', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;
  let carol: BitweenNode;
  let x: Shared;
  let z: Shared;

  /** Share a new file of random bytes (its torrent listed once the api shows it). */
  const share = async (node: BitweenNode, name: string, size: number): Promise<Shared> => {
    const sha256 = await writeRandomFile(join(node.dirs.shares, name), size);
    expect(await node.rpc.result('bt.add_path', { path: join(node.dirs.shares, name) })).toBe(true);
    const t = await waitFor(
      async () =>
        (await node.rpc.result<TorrentsResult>('bt.get_torrents')).torrents.find((x) => x.name === name),
      { what: `${name} in ${node.user}'s torrents` },
    );
    return { hash: t.hash, sha256, name };
  };
  const torrent = async (node: BitweenNode, hash: string) =>
    (await node.rpc.result<TorrentsResult>('bt.get_torrents')).torrents.find((t) => t.hash === hash);
  const seeded = (node: BitweenNode, file: Shared, what: string) =>
    waitFor(async () => (await torrent(node, file.hash))?.state === 'seeding', { what, timeoutMs: 120_000 });
  /** alice's shares as `node`'s gateway shows them. */
  const aliceShares = async (node: BitweenNode) => {
    const { shares } = await node.rpc.result<SharesResult>('xmpp.get_shares');
    return Object.values(shares[alice.jid] ?? {}).flatMap((r) => Object.keys(r.shares));
  };
  const admittedBy = (node: BitweenNode, jid: string, hash: string) =>
    node.engine.logs.some(
      (l) => l.msg === 'admitted a peer' && l.by === 'proof' && l.jid === jid && l.hash === hash,
    );

  beforeAll(async () => {
    const started = await startFriends(cleanup, ['alice', 'bob', 'carol'], {
      label: 'visbytes',
      env: { BITWEEN_PEER_ALLOW: '' },
    });
    const prosody: Prosody = started.prosody;
    [alice, bob, carol] = started.nodes;
    // Roster groups, set from another client of the user's (as any XMPP client does): alice has
    // bob in "family" and carol in "work"; bob has alice in "family".
    const clients = {
      alice: await connectClient(cleanup, prosody, 'alice', 'alice-pw'),
      bob: await connectClient(cleanup, prosody, 'bob', 'bob-pw'),
    };
    for (const [owner, user, group] of [
      ['alice', 'bob', 'family'],
      ['alice', 'carol', 'work'],
      ['bob', 'alice', 'family'],
    ] as const) {
      const client = clients[owner];
      const id = `roster-${owner}-${user}`;
      const reply = new Promise<Element>((resolve) =>
        client.client.on('stanza', (s: Element) => {
          if (s.is('iq') && s.attrs.id === id) resolve(s);
        }),
      );
      await client.send(
        xml(
          'iq',
          { type: 'set', id },
          xml(
            'query',
            { xmlns: 'jabber:iq:roster' },
            xml('item', { jid: prosody.jid(user) }, xml('group', {}, group)),
          ),
        ),
      );
      expect(errorCondition(await reply)).toBeUndefined();
    }
    await Promise.all([alice, bob, carol].map((n) => xmppOnline(n.gateway)));
  });
  afterAll(() => cleanup.run());

  it('alice restricts X to "family": bob sees it, carol does not', async () => {
    x = await share(alice, 'family-video.bin', 3 * 1024 * 1024);
    await alice.rest.request('PUT', `/v1/torrents/${x.hash}/visibility`, { groups: ['family'] });
    // alice's engine follows the restriction (the KV bucket the api wrote).
    await alice.engine.waitForLog((l) => l.msg === 'share visibility' && l.restricted === 1, {
      what: 'alice’s engine to read the restriction',
    });
    // Z, shared after the restriction, is for everyone: once carol sees it, her copy of alice's
    // list is one published after X was restricted.
    z = await share(alice, 'public-notes.bin', 256 * 1024);
    await waitForShare(bob, alice, x.hash, 90_000);
    await waitForShare(carol, alice, z.hash, 90_000);
    expect(await aliceShares(carol)).not.toContain(x.hash);
  });

  it('bob (in "family") downloads X, bytes equal', async () => {
    // bob passes X on to "family" only: carol cannot take it from him either.
    await bob.rest.request('PUT', `/v1/torrents/${x.hash}/visibility`, { groups: ['family'] });
    await bob.engine.waitForLog((l) => l.msg === 'share visibility' && l.restricted === 1, {
      what: 'bob’s engine to read his restriction',
    });
    expect(await bob.rpc.result('bt.add_torrent_by_hash', { hash: x.hash })).toBe(true);
    await seeded(bob, x, 'bob’s download of X to finish');
    expect(await sha256File(join(bob.dirs.downloads, x.name))).toBe(x.sha256);
    expect(admittedBy(alice, bob.jid, x.hash)).toBe(true);
  });

  it('carol (in "work"), knowing X’s hash and alice’s address, is refused by alice’s engine and gateway', async () => {
    // Neither gateway hands carol alice's address for X (alice's list hides X from her), so the
    // test does what a leaked magnet with alice's address, or a modified client, would: it tells
    // carol's engine where alice is for X, on carol's own NATS as her gateway would.
    const { shares } = await carol.rpc.result<SharesResult>('xmpp.get_shares');
    const [address, port] = Object.values(shares[alice.jid] ?? {})[0]?.ip_v4[0] ?? [];
    expect(address).toBeDefined();
    expect(await carol.rpc.result('bt.add_torrent_by_hash', { hash: x.hash })).toBe(true);
    const asGateway = new Bus(await carol.nats.connect('xmpp-gateway'), silentLogger);
    const tell = () =>
      asGateway.publish(xmpp.peers, {
        peers: [{ hash: x.hash, endpoints: [{ address: address!, port: port!, jid: alice.jid }] }],
      });
    tell();
    const refusal = await waitFor(
      () => {
        const line = alice.engine.logs.find(
          (l) => l.msg === 'refused a peer' && l.reason === 'hidden' && l.jid === carol.jid,
        );
        if (!line) tell(); // (until carol's engine has the torrent running to take them)
        return line;
      },
      { what: 'alice’s engine to refuse carol’s wire for X', timeoutMs: 90_000, intervalMs: 1_000 },
    );
    expect(refusal).toMatchObject({
      hash: x.hash,
      why: 'restricted share; contact not in its roster groups',
    });
    // Her rendezvous (WebRTC offer, dial back) is answered as for a hash alice does not share.
    await alice.gateway.waitForLog(
      (l) => l.msg === 'refused a rendezvous request' && l.reason === 'hash not visible to this contact',
      { what: 'alice’s gateway to refuse carol’s rendezvous for X', timeoutMs: 90_000 },
    );
    // Counted (the registry entry carries the counters from the engine's next heartbeat).
    await waitFor(
      async () => {
        const { engines } = await alice.rest.get<{ engines: EngineSummary[] }>('/v1/status');
        return (engines[0]?.admission?.refused.hidden ?? 0) >= 1;
      },
      { what: 'alice’s admission counters to count carol’s refusal as hidden' },
    );
    // carol's download has no peer: alice never admitted her, nor she alice (no proof came), and
    // bob (who keeps X to "family") never got a wire of hers for it.
    expect(await torrent(carol, x.hash)).toMatchObject({ progress: 0 });
    expect(admittedBy(carol, alice.jid, x.hash)).toBe(false);
    expect(admittedBy(alice, carol.jid, x.hash)).toBe(false);
    expect(admittedBy(bob, carol.jid, x.hash)).toBe(false);
    // alice's engine does not dial carol for X either (carol's list offers it while she wants it).
    const dialledCarol = (l: { msg?: unknown; contact?: unknown; hash?: unknown }) =>
      l.msg === 'dialling a peer' && l.contact === carol.jid && l.hash === x.hash;
    expect(alice.engine.logs.filter(dialledCarol)).toEqual([]);
  });

  it('X visible to every contact again: carol downloads it, bytes equal', async () => {
    await alice.rest.request('PUT', `/v1/torrents/${x.hash}/visibility`, { groups: [] });
    await seeded(carol, x, 'carol’s download of X to finish');
    expect(await sha256File(join(carol.dirs.downloads, x.name))).toBe(x.sha256);
    expect(admittedBy(alice, carol.jid, x.hash)).toBe(true);
  });
});
