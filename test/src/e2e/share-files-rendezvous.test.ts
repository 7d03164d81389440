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
 * A share's file list when bob's engine may not dial alice (BITWEEN_DIAL_ALLOW empty: this host
 * is refused by his dial policy): the metadata fetch asks for a rendezvous over XMPP, as a
 * download does, and alice's engine dials back (connection reversal) and hands over the metadata.
 */
describe('the file list of a share whose friend can only be reached by rendezvous', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: BitweenNode;

  beforeAll(async () => {
    ({
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], rendezvousOnly('rdv-files')));
  });
  afterAll(() => cleanup.run());

  it('bob gets the list through alice dialling back', async () => {
    const { hash } = await shareRandomFile(alice, 'behind-a-router.bin', 100_000);
    await waitForShare(bob, alice, hash);
    const list = await bob.rest.get<{ files: { path: string; size: number }[]; from: string }>(
      `/v1/friends/${encodeURIComponent(alice.jid)}/shares/${hash}/files`,
    );
    expect(list).toMatchObject({ from: 'friend', files: [{ path: 'behind-a-router.bin', size: 100_000 }] });
    // The direct dial was refused by bob's own policy; the list came by rendezvous.
    expect(
      bob.engine.logs.some(
        (l) =>
          l.msg === 'rendezvous: asking a contact to connect (WebRTC offer, dial back)' && l.hash === hash,
      ),
    ).toBe(true);
    expect(alice.engine.logs.some((l) => l.msg === 'rendezvous from a contact' && l.hash === hash)).toBe(
      true,
    );
  }, 90_000);
});
