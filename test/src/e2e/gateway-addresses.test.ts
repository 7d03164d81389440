import { createSocket } from 'node:dgram';
import { EngineRegistry } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startNats,
  startProsody,
  startService,
  waitFor,
  type Prosody,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml } from './xmpp-client.js';

/**
 * Start-up never waits for the network: with a STUN server that never answers, the gateway is
 * ready and online at once, and publishes the configured public address with each engine's
 * port (interface addresses come from the engines themselves).
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

  it('publishes the configured address without waiting for an unanswered STUN lookup', async () => {
    const nats = await startNats(cleanup);
    const nc = await nats.connect();
    cleanup.add('nats', () => nc.close());
    await (
      await EngineRegistry.open(nc, silentLogger)
    ).announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 7000 }],
      torrents: [{ hash: 'c'.repeat(40), name: 'x', size: 1 }],
      heartbeatMs: 600_000,
    });
    const alice = await startService(cleanup, {
      name: 'xmpp-gateway',
      label: 'addresses-alice',
      env: {
        BITWEEN_NATS_URL: nats.url,
        BITWEEN_LOG_LEVEL: 'debug',
        BITWEEN_XMPP_JID: prosody.jid('alice'),
        BITWEEN_XMPP_PASSWORD: 'alice-pw',
        BITWEEN_XMPP_SERVICE: prosody.service,
        BITWEEN_PUBLIC_ADDRESSES: '198.51.100.1',
        BITWEEN_STUN_SERVER: `127.0.0.1:${stunPort}`,
        BITWEEN_STUN_TIMEOUT_MS: '30000',
      },
    });
    await alice.waitForLog((l) => l.msg === 'XMPP online', { what: 'online while STUN is still waiting' });
    expect(alice.logs.some((l) => l.msg === 'STUN lookup got no answer')).toBe(false);

    const bob = await connectClient(cleanup, prosody, 'bob', 'bob-pw');
    const iq = (
      bob.client as unknown as { iqCaller: { request(el: unknown): Promise<ReturnType<typeof xml>> } }
    ).iqCaller;
    const endpoints = await waitFor(
      async () => {
        const reply = await iq.request(
          xml(
            'iq',
            { type: 'get', to: prosody.jid('alice') },
            xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NS_SHARES })),
          ),
        );
        const r = reply
          .getChild('pubsub')
          ?.getChild('items')
          ?.getChild('item')
          ?.getChild('user_shares', NS_SHARES)
          ?.getChild('resource');
        const eps = (r?.getChildren('ip_address') ?? []).map(
          (e) => `${String(e.attrs.address)}:${String(e.attrs.port)}`,
        );
        return eps.length === 2 ? eps : undefined;
      },
      { what: 'both endpoints in alice’s item' },
    );
    expect(endpoints).toEqual(['127.0.0.1:7000', '198.51.100.1:7000']);
  });
});
