import { createSocket } from 'node:dgram';
import { xmpp, type PeersPayload } from '@bitween/messages';
import { Bus, EngineRegistry } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  Feed,
  silentLogger,
  startGateway,
  startNats,
  startProsody,
  waitFor,
  xmppOnline,
  type Prosody,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml } from '../harness/xmpp-client.js';

/**
 * Start-up never waits for the network: with a STUN server that never answers, the gateway is
 * ready and online at once, and publishes the configured public address with each engine's
 * port (interface addresses come from the engines themselves). The engines get it too, as our
 * side of the evidence that a contact shares our LAN (the dial policy), with each contact's
 * endpoints and, for a LAN endpoint, the public addresses the contact announces next to it.
 */
describe('public addresses', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let stunPort: number;

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
    });
    const silent = createSocket('udp4'); // a "STUN server" that never answers
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    cleanup.add('silent udp', () => new Promise<void>((resolve) => silent.close(() => resolve())));
    stunPort = silent.address().port;
  });
  afterAll(() => cleanup.run());

  it('publishes the configured address without waiting for an unanswered STUN lookup, and gives it to the engines with the LAN evidence of contacts', async () => {
    const nats = await startNats(cleanup);
    const nc = await nats.connect();
    const peers = new Feed<PeersPayload>((p) => JSON.stringify(p));
    new Bus(nc, silentLogger).subscribe(xmpp.peers, (p) => peers.push(p));
    await (
      await EngineRegistry.open(nc, silentLogger)
    ).announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 7000 }],
      torrents: [{ hash: 'c'.repeat(40), name: 'x', size: 1 }],
      heartbeatMs: 600_000,
    });
    const alice = await startGateway(cleanup, {
      label: 'addresses-alice',
      nats,
      server: prosody,
      user: 'alice',
      env: {
        BITWEEN_PUBLIC_ADDRESSES: '198.51.100.1',
        BITWEEN_STUN_SERVER: `127.0.0.1:${stunPort}`,
        BITWEEN_STUN_TIMEOUT_MS: '30000',
      },
    });
    await xmppOnline(alice, 'online while STUN is still waiting');
    expect(alice.logs.some((l) => l.msg === 'STUN lookup got no answer')).toBe(false);

    const bob = await connectClient(cleanup, prosody, 'bob', 'bob-pw');
    const endpoints = await waitFor(
      async () => {
        const r = (await bob.sharesItem(prosody.jid('alice'))).payload?.getChild('resource');
        const eps = (r?.getChildren('ip_address') ?? []).map(
          (e) => `${String(e.attrs.address)}:${String(e.attrs.port)}`,
        );
        return eps.length === 2 ? eps : undefined;
      },
      { what: 'both endpoints in alice’s item' },
    );
    // Public before private (a friend tries them in order).
    expect(endpoints).toEqual(['198.51.100.1:7000', '127.0.0.1:7000']);

    // bob offers the hash our engine holds, on his LAN address and his public one.
    await bob.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml(
          'resource',
          { resource: 'test/engine-1' },
          xml('share_item', { hash: 'c'.repeat(40), name: 'x', size: '1' }),
          xml('ip_address', { address: '192.168.1.30', port: '8000' }),
          xml('ip_address', { address: '203.0.113.5', port: '8000' }),
        ),
      ),
    );
    const event = await peers.wait((p) => p.peers.some((h) => h.endpoints.length > 0), {
      what: "bob's endpoints in xmpp.peers",
    });
    expect(event).toEqual({
      peers: [
        {
          hash: 'c'.repeat(40),
          endpoints: [
            {
              address: '192.168.1.30',
              port: 8000,
              jid: prosody.jid('bob'),
              publicAddresses: ['203.0.113.5'],
            },
            { address: '203.0.113.5', port: 8000, jid: prosody.jid('bob') },
          ],
        },
      ],
      ownPublic: ['198.51.100.1'],
    });
  });
});
