import { createHash } from 'node:crypto';
import { EngineRegistry } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startGateway,
  startNats,
  startProsody,
  waitFor,
  xmppOnline,
  type NatsServer,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';

const hash = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * Two gateways of one account that start at the same moment, each with a share already in its
 * engines, must both end up in the account's item (each publishes only after reading the
 * account's item, and merges again when a notification of its own node lacks its entries).
 */
describe('two instances of one account racing', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let laptop: ServiceProcess;
  let server: ServiceProcess;
  let bob: TestClient;
  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
    });
    bob = await connectClient(cleanup, prosody, 'bob', 'bob-pw');
    const natsServers: NatsServer[] = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    // Each instance's engine already holds a share before its gateway starts.
    for (const [i, name] of ['laptop', 'server'].entries()) {
      const nc = await natsServers[i]!.connect();
      const registry = await EngineRegistry.open(nc, silentLogger);
      await registry.announce({
        engineId: `${name}-engine`,
        version: 'test',
        endpoints: [{ address: '127.0.0.1', port: 7000 + i }],
        torrents: [{ hash: hash(name), name: `${name}.txt`, size: 1 }],
        heartbeatMs: 600_000,
      });
    }
    const gateway = (resource: string, i: number) =>
      startGateway(cleanup, {
        label: `race-${resource}`,
        nats: natsServers[i]!,
        server: prosody,
        user: 'alice',
        resource,
      });
    [laptop, server] = await Promise.all([gateway('laptop', 0), gateway('server', 1)]);
  });
  afterAll(() => cleanup.run());

  /** alice's current item, fetched by bob. */
  async function aliceItem(): Promise<string[]> {
    const { payload: shares } = await bob.sharesItem(prosody.jid('alice'));
    return (shares?.getChildren('resource') ?? []).map((r) => String(r.attrs.resource)).sort();
  }

  it('both instances end up in the item', async () => {
    await Promise.all([laptop, server].map((g) => xmppOnline(g)));
    const both = ['laptop/laptop-engine', 'server/server-engine'];
    expect(
      await waitFor(async () => ((await aliceItem()).join() === both.join() ? aliceItem() : undefined), {
        what: 'both entries in alice’s item',
      }),
    ).toEqual(both);
  });

  it('an instance whose entry was overwritten by a stale publish puts it back', async () => {
    const publishedBefore = laptop.logs.filter((l) => l.msg === 'published our share list').length;
    // A third instance of alice publishes a stale item that lacks the laptop's entry.
    const rogue = await connectClient(cleanup, prosody, 'alice', 'alice-pw');
    await rogue.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml(
          'resource',
          { resource: 'server/server-engine' },
          xml('share_item', { hash: hash('server'), name: 'server.txt', size: '1' }),
          xml('ip_address', { address: '127.0.0.1', port: '7001' }),
        ),
      ),
    );
    await waitFor(async () => (await aliceItem()).includes('laptop/laptop-engine'), {
      what: 'the laptop to merge its entry back',
    });
    expect(await aliceItem()).toEqual(['laptop/laptop-engine', 'server/server-engine']);
    // The laptop republished (its log line comes after the server's answer, so wait for it).
    await waitFor(
      () => laptop.logs.filter((l) => l.msg === 'published our share list').length > publishedBefore,
      {
        what: 'the laptop’s republish in its log',
      },
    );
  });
});
