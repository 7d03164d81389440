import { createHash } from 'node:crypto';
import { type EngineState } from '@bitween/messages';
import { EngineRegistry } from '@bitween/bus';
import { isIP } from 'node:net';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startGateway,
  startNats,
  startProsody,
  xmppOnline,
  type NatsServer,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient } from '../harness/xmpp-client.js';

const SHARES = 10_000;
/** Prosody 0.12's c2s_stanza_size_limit default: 256 KiB. */
const PROSODY_LIMIT = 256 * 1024;

/**
 * 10,000 shares through a real Prosody, with the gateway's stanzas at Prosody's actual limit:
 * the friend's gateway gets the whole list (buckets in our own namespace), and a plain reader of
 * the original format still finds a valid `current` item. Timing goals are in bench/, not here.
 */
describe('a list of 10,000 shares', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let aliceNats: NatsServer;
  let alice: ServiceProcess;
  let bob: ServiceProcess;
  let nc: NatsConnection;

  const gateway = (label: string, user: string, nats: NatsServer) =>
    startGateway(cleanup, {
      label,
      nats,
      server: prosody,
      user,
      env: {
        BITWEEN_XMPP_MAX_STANZA_BYTES: String(PROSODY_LIMIT),
        BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '10000000', // this Prosody has no rate limit (bench/ measures the stock ones)
      },
    });

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob', 'carol'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob', 'carol'],
    });
    aliceNats = await startNats(cleanup);
    const bobNats = await startNats(cleanup);
    [alice, bob] = await Promise.all([
      gateway('scale-alice', 'alice', aliceNats),
      gateway('scale-bob', 'bob', bobNats),
    ]);
    await Promise.all([alice, bob].map((g) => xmppOnline(g)));
    nc = await aliceNats.connect();
  });
  afterAll(() => cleanup.run());

  it('publishes in stanzas within the limit and arrives whole at a friend', async () => {
    const registry = await EngineRegistry.open(nc, silentLogger);
    const state: EngineState = {
      engineId: 'big',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: Array.from({ length: SHARES }, (_, i) => ({
        hash: createHash('sha1').update(`share ${i}`).digest('hex'),
        name: `video-${i}.mkv`, // short: one engine state of 10,000 torrents must fit NATS's 1 MiB max payload
        size: 1_000_000 + i,
      })),
      heartbeatMs: 600_000,
    };
    await registry.announce(state);
    const published = await alice.waitForLog(
      (l) => l.msg === 'published our share list' && l.shares === SHARES,
      {
        what: 'alice to publish 10,000 shares',
      },
    );
    expect(published.buckets).toBeGreaterThan(0);
    const received = await bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === prosody.jid('alice') && l.shares === SHARES,
      { what: 'bob to receive all 10,000 shares' },
    );
    expect(received.resources).toBe(1);
    // Prosody closes the stream of a client that sends a larger stanza: alice never lost hers.
    expect(alice.logs.some((l) => l.msg === 'XMPP disconnected, reconnecting')).toBe(false);

    // A reader of the original format (carol, a plain client) asks for alice's `current` item
    // (written after the buckets and the index, once the list is quiet).
    const written = await alice.waitForLog((l) => l.msg === 'published our original-format item', {
      what: 'alice to write `current`',
    });
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    const { id, payload } = await carol.sharesItem(prosody.jid('alice'));
    expect(id).toBe('current');
    expect(payload).toBeDefined();
    // Read it the way the original does: resource → share_item / ip_address attributes.
    const resources = payload!.getChildren('resource');
    expect(resources).toHaveLength(1);
    const items = resources[0]!.getChildren('share_item');
    for (const s of items) {
      expect(s.attrs.hash).toMatch(/^[0-9a-f]{40}$/);
      expect(s.attrs.name).toMatch(/^video-\d+\.mkv$/);
      expect(s.attrs.size).toMatch(/^[0-9]+$/);
    }
    const endpoints = resources[0]!
      .getChildren('ip_address')
      .map((e): unknown[] => [e.attrs.address, e.attrs.port]);
    expect(endpoints).toEqual([['127.0.0.1', '6881']]);
    expect(isIP(String(endpoints[0]?.[0]))).toBe(4);
    const partial = items.length;
    console.log(
      `10,000 shares: ${String(published.bytes)} bytes on the wire in ${String(published.stanzas)} stanzas; ` +
        `an original reader sees ${partial} shares in 'current' (${String(written.bytes)} bytes)`,
    );
    expect(partial).toBeGreaterThan(1000);
    expect(partial).toBeLessThan(SHARES);
  });
});
