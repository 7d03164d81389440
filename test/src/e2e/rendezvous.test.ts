import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  rendezvousOnly,
  shareRandomFile,
  startFriends,
  waitForShare,
  type BitweenNode,
} from '../harness/index.js';

/**
 * Rendezvous through the real gateways and Prosody: bob's engine may not dial alice (this host is
 * refused by its dial policy: BITWEEN_DIAL_ALLOW empty), so once alice's endpoint gave no wire it
 * asks `xmpp.connect`; his gateway sends the offer to alice's bitween resource, her gateway hands
 * it to her engine (`engine.connect`), whose answer comes back the same way. Whether the WebRTC
 * connection then forms is the network lab's business (on one host the gateways drop the
 * candidates that are their own addresses): this checks the signalling chain end to end.
 */
describe('rendezvous over XMPP between two daemons', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], rendezvousOnly('rdv')));
  });
  afterAll(() => cleanup.run());

  it('bob’s offer reaches alice’s engine and her answer comes back', async () => {
    const { hash } = await shareRandomFile(alice, 'rendezvous.bin', 1024 * 1024);
    await waitForShare(bob, alice, hash);
    expect(await bob.rpc.result('bt.add_torrent_by_hash', { hash })).toBe(true);
    await bob.engine.waitForLog(
      (l) =>
        l.msg === 'rendezvous: asking a contact to connect (WebRTC offer, dial back)' && l.jid === alice.jid,
      { what: 'bob’s engine to ask for a rendezvous', timeoutMs: 60_000 },
    );
    await alice.engine.waitForLog(
      (l) =>
        l.msg === 'rendezvous from a contact' && l.jid === bob.jid && l.hash === hash && l.offer === true,
      { what: 'alice’s engine to get bob’s offer through both gateways', timeoutMs: 60_000 },
    );
    await bob.engine.waitForLog((l) => l.msg === 'rendezvous: WebRTC answer received' && l.hash === hash, {
      what: 'alice’s answer to reach bob’s engine',
      timeoutMs: 60_000,
    });
  });
});
