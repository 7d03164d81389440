import { createHash } from 'node:crypto';
import { EngineRegistry } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startGateway,
  startNats,
  startProsody,
  xmppOnline,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, errorCondition, xml, type TestClient } from '../harness/xmpp-client.js';

const INDEX_NODE = 'urn:bitween:shares:0/index';
const bucketNode = (k: number) => `urn:bitween:shares:0/bucket/${k}`;

const share = (i: number) => ({
  hash: createHash('sha1').update(`shrink ${i}`).digest('hex'),
  name: `file-${i}.bin`,
  size: i + 1,
});

/**
 * A list that shrinks back under the size published in buckets goes out whole in `current`
 * again, and its old index and buckets are removed from the server (Prosody): no reader — a
 * friend's periodic check reads the index directly — can find the stale list there.
 * (missed-notifications-ejabberd.test.ts: the same on ejabberd with every notification lost.)
 */
describe('a list that shrinks back into `current` (Prosody)', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: ServiceProcess;
  let bob: ServiceProcess;
  let registry: EngineRegistry;
  let reader: TestClient;

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob', 'carol'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob', 'carol'],
    });
    const [aliceNats, bobNats] = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    const env = { BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '10000000' }; // this Prosody has no rate limit
    [alice, bob] = await Promise.all([
      startGateway(cleanup, { label: 'shrink-alice', nats: aliceNats, server: prosody, user: 'alice', env }),
      startGateway(cleanup, { label: 'shrink-bob', nats: bobNats, server: prosody, user: 'bob', env }),
    ]);
    await Promise.all([xmppOnline(alice), xmppOnline(bob)]);
    const nc = await aliceNats.connect();
    cleanup.add('nats client', () => nc.close());
    registry = await EngineRegistry.open(nc, silentLogger);
    // carol: a plain client of a contact of alice's, reading alice's nodes as any reader can.
    reader = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
  }, 120_000);
  afterAll(() => cleanup.run());

  const announce = (shares: number) =>
    registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: Array.from({ length: shares }, (_, i) => share(i)),
      heartbeatMs: 600_000,
    });
  const bobHas = (shares: number) =>
    bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === prosody.jid('alice') && l.shares === shares,
      { what: `bob to hold alice’s list of ${shares}`, timeoutMs: 60_000 },
    );
  /** How many items alice's node `node` holds for a reader (none: the node is empty or absent). */
  const items = async (node: string) => {
    const reply = await reader.iqGet(
      prosody.jid('alice'),
      xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node })),
    );
    const condition = errorCondition(reply);
    if (condition === 'item-not-found') return 0;
    if (condition) throw new Error(`fetching ${node}: ${condition}`);
    return reply.getChild('pubsub')?.getChild('items')?.getChildren('item').length ?? 0;
  };

  it('removes the index and every bucket (a larger list’s too), and the friend holds the short list', async () => {
    // 300 shares (over 8 KiB): two buckets and an index.
    await announce(300);
    await bobHas(300);
    expect(await items(INDEX_NODE)).toBe(1);
    expect(await items(bucketNode(0))).toBe(1);
    expect(await items(bucketNode(1))).toBe(1);

    // 100 shares: one bucket (bucket 1 is no longer named by the index, but still on the server).
    await announce(100);
    await bobHas(100);

    await announce(3);
    await alice.waitForLog((l) => l.msg === 'published our share list' && l.shares === 3, {
      what: 'alice to publish her list of three shares',
    });
    await bobHas(3);
    expect(await items(INDEX_NODE)).toBe(0);
    expect(await items(bucketNode(0))).toBe(0);
    expect(await items(bucketNode(1))).toBe(0);
  }, 120_000);
});
