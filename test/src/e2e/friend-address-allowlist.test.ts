import { join } from 'node:path';
import { FriendAddressesStore } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  sha256File,
  shareRandomFile,
  silentLogger,
  startFriends,
  startLibtorrent,
  waitFor,
  type BitweenNode,
  type Prosody,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';

/**
 * The friends' address allowlist: alice's gateway writes the addresses her friends' lists
 * announce to KV, her engine follows it (no paging of the lists). carol is a legacy friend (a
 * plain XMPP client with an original-format list, libtorrent for BitTorrent), so alice's engine
 * admits carol's libtorrent by address alone — only while carol is a friend: once carol cancels
 * alice's subscription, the gateway drops her list, the allowlist loses her address and the
 * engine refuses a connection from it.
 */
describe("the friends' address allowlist, from the gateway to the engine's admission", () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let carol: TestClient;
  let store: FriendAddressesStore;
  let hash = '';
  let sum = '';
  let port = 0;
  let root = '';
  const CAROL_IP = '127.0.0.8';

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], {
      label: 'allowlist',
      env: { BITWEEN_PEER_ALLOW: '' },
      accounts: ['carol'],
      friends: ['carol'],
    }));
    const nc = await alice.nats.connect();
    store = await FriendAddressesStore.open(nc, silentLogger);
    root = alice.dirs.shares;
    ({ hash, sha256: sum } = await shareRandomFile(alice, 'allowlisted.bin', 2 * 1024 * 1024 + 3));
    port = Number(alice.engine.logs.find((l) => l.msg === 'announcing')?.port);
  });
  afterAll(() => cleanup.run());

  const leech = (label: string) =>
    startLibtorrent(cleanup, {
      label,
      env: {
        MODE: 'leech',
        HASH: hash,
        PEER: `127.0.0.1:${port}`,
        SAVE: join(root, '..', label),
        BIND: CAROL_IP,
      },
    });

  it('admits a friend’s address learned from the allowlist', async () => {
    carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    await carol.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml('resource', { resource: 'test' }, xml('ip_address', { address: CAROL_IP, port: '6881' })),
      ),
    );
    const carolJid = prosody.jid('carol');
    // What the gateway wrote, as the engine reads it.
    await waitFor(
      async () =>
        (await store.get()).friends.some((f) => f.jid === carolJid && f.addresses.includes(CAROL_IP)),
      { what: 'alice’s gateway to write carol’s address to the allowlist', timeoutMs: 60_000 },
    );
    await alice.engine.waitForLog((l) => l.msg === 'friend addresses updated' && Number(l.friends) >= 1, {
      what: 'alice’s engine to follow the allowlist',
    });
    await alice.engine.waitForLog((l) => l.msg === 'ticket table' && Number(l.legacy) >= 1, {
      what: 'alice’s engine to know carol is legacy (no tickets)',
    });

    const friend = await leech('allowlist-carol-lt');
    await friend.waitForLog((l) => l.msg === 'download complete', { what: 'carol’s libtorrent to download' });
    expect(await sha256File(join(root, '..', 'allowlist-carol-lt', 'allowlisted.bin'))).toBe(sum);
    expect(
      alice.engine.logs.some(
        (l) =>
          l.msg === 'admitted a peer' &&
          l.by === 'address' &&
          l.how === 'legacy contact' &&
          String(l.remote).includes(CAROL_IP),
      ),
    ).toBe(true);
    await friend.stop();
  });

  it('drops the address once the friend is removed: a connection from it is refused', async () => {
    const updates = () => alice.engine.logs.filter((l) => l.msg === 'friend addresses updated').length;
    const before = updates();
    // carol cancels alice's subscription to her: alice no longer follows carol.
    await carol.send(xml('presence', { to: prosody.jid('alice'), type: 'unsubscribed' }));
    await waitFor(async () => (await store.get()).friends.every((f) => f.jid !== prosody.jid('carol')), {
      what: 'alice’s gateway to drop carol from the allowlist',
      timeoutMs: 60_000,
    });
    await waitFor(
      () =>
        alice.engine.logs
          .filter((l) => l.msg === 'friend addresses updated')
          .slice(before)
          .some((l) => Number(l.friends) === 0),
      { what: 'alice’s engine to follow the shorter allowlist' },
    );

    const refused = () =>
      alice.engine.logs.filter(
        (l) => l.msg === 'refused a peer' && l.reason === 'stranger' && String(l.remote).endsWith(CAROL_IP),
      ).length;
    const stranger = await leech('allowlist-carol-after');
    await waitFor(() => refused() >= 1, { what: 'alice’s engine to refuse carol’s address now' });
    const statuses = () => stranger.logs.filter((l) => l.msg === 'status').length;
    const seen = statuses();
    await waitFor(() => statuses() >= seen + 5, { what: 'the libtorrent to report its state after refusal' });
    expect(stranger.logs.filter((l) => l.msg === 'status').at(-1)).toMatchObject({
      has_metadata: false,
      total_payload_download: 0,
    });
  });
});
