import { join } from 'node:path';
import { xmpp } from '@bitween/messages';
import { Bus } from '@bitween/bus';
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
  type SharesResult,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml } from '../harness/xmpp-client.js';

/**
 * A friend on the original Bitween (a plain XMPP client that publishes an original-format list and
 * never answers the ticket exchange), whose BitTorrent client is libtorrent: alice's gateway marks
 * it legacy, so alice's engine admits its libtorrent by the address its list announces, as before
 * tickets; a libtorrent from an address nobody announced still gets nothing.
 */
describe('a legacy friend (original Bitween + libtorrent) through the real gateway', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bus: Bus;
  let hash = '';
  let sum = '';
  let port = 0;
  let root = '';

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], {
      label: 'legacy',
      env: { BITWEEN_PEER_ALLOW: '' },
      accounts: ['carol'],
      friends: ['carol'],
    }));
    bus = new Bus(await alice.nats.connect(), silentLogger);
    root = alice.dirs.shares;
    ({ hash, sha256: sum } = await shareRandomFile(alice, 'for-carol.bin', 2 * 1024 * 1024 + 1));
    const announcing = alice.engine.logs.find((l) => l.msg === 'announcing');
    port = Number(announcing?.port);
  });
  afterAll(() => cleanup.run());

  it('marks carol legacy and admits her libtorrent by the address her list announces', async () => {
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    await carol.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml('resource', { resource: 'test' }, xml('ip_address', { address: '127.0.0.6', port: '6881' })),
      ),
    );
    const carolJid = prosody.jid('carol');
    await waitFor(
      async () => {
        const r = await bus.request(xmpp.tickets, {});
        return r.ok && r.value.legacy.includes(carolJid);
      },
      { what: 'alice’s gateway to mark carol legacy', timeoutMs: 60_000 },
    );
    await alice.engine.waitForLog((l) => l.msg === 'ticket table' && Number(l.legacy) >= 1, {
      what: 'alice’s engine to fetch the table naming carol legacy',
    });
    await waitFor(
      async () => {
        const { shares } = await alice.rpc.result<SharesResult>('xmpp.get_shares');
        return Object.values(shares[carolJid] ?? {}).some((r) => r.ip_v4.length > 0);
      },
      { what: "carol's list at alice" },
    );
    // Alice's engine follows the friends' address allowlist her gateway wrote from carol's list.
    await alice.engine.waitForLog((l) => l.msg === 'friend addresses updated' && Number(l.friends) >= 1, {
      what: 'alice’s engine to follow the allowlist with carol’s address',
    });

    const leech = (label: string, bind: string) =>
      startLibtorrent(cleanup, {
        label,
        env: {
          MODE: 'leech',
          HASH: hash,
          PEER: `127.0.0.1:${port}`,
          SAVE: join(root, '..', label),
          BIND: bind,
        },
      });
    const friend = await leech('legacy-carol-lt', '127.0.0.6');
    await friend.waitForLog((l) => l.msg === 'download complete', { what: 'carol’s libtorrent to download' });
    expect(await sha256File(join(root, '..', 'legacy-carol-lt', 'for-carol.bin'))).toBe(sum);
    expect(
      alice.engine.logs.some(
        (l) => l.msg === 'admitted a peer' && l.by === 'address' && l.how === 'legacy contact',
      ),
    ).toBe(true);

    const stranger = await leech('legacy-stranger-lt', '127.0.0.7');
    await alice.engine.waitForLog(
      (l) => l.msg === 'refused a peer' && l.reason === 'stranger' && String(l.remote).endsWith('127.0.0.7'),
      { what: 'alice’s engine to refuse the unannounced libtorrent' },
    );
    // Its state a few reports after the refusal: nothing received.
    const statuses = () => stranger.logs.filter((l) => l.msg === 'status').length;
    const seen = statuses();
    await waitFor(() => statuses() >= seen + 5, { what: 'the stranger to report its state after refusal' });
    expect(stranger.logs.filter((l) => l.msg === 'status').at(-1)).toMatchObject({
      has_metadata: false,
      total_payload_download: 0,
    });
  });
});
