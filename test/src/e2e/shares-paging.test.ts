import { createHash } from 'node:crypto';
import { xmpp, type EngineState } from '@bitween/messages';
import { Bus, EngineRegistry, fetchAllShares } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startGateway,
  startNats,
  startNode,
  startProsody,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharesResult,
} from '../harness/index.js';

/** Per engine entry: an `EngineState` of this many torrents stays below NATS's 1 MiB itself. */
const PER_ENGINE = 8_000;
const ENGINES = 2;
const TOTAL = PER_ENGINE * ENGINES;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

const hashOf = (engine: number, i: number) => createHash('sha1').update(`share ${engine}/${i}`).digest('hex');
const nameOf = (engine: number, i: number) =>
  engine === 0
    ? `holiday-video-${String(i).padStart(5, '0')}.mkv`
    : `talk-recording-${String(i).padStart(5, '0')}.ogg`;

/*
 * A friend's list larger than one NATS message (16,000 shares, ~1.5 MB as JSON) reaches the
 * api through the real gateway, paged, with every nats-server at its default max_payload:
 * search, the contact's list, the contacts' counts and the original JSON-RPC all see all of it.
 */
describe('contacts’ shares beyond one NATS message', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let bob: BitweenNode;
  let nc: NatsConnection;

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
    });
    // alice: a gateway whose registry holds two engines' entries of 8,000 torrents each.
    const aliceNats = await startNats(cleanup);
    const alice = await startGateway(cleanup, {
      label: 'paging-alice-gateway',
      nats: aliceNats,
      server: prosody,
      user: 'alice',
      env: {
        BITWEEN_XMPP_MAX_STANZA_BYTES: String(256 * 1024), // Prosody 0.12's limit
        BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '10000000', // this Prosody has no rate limit (bench/ measures the stock ones)
      },
    });
    bob = await startNode(cleanup, { user: 'bob', password: 'bob-pw', prosody, name: 'paging-bob' });
    await xmppOnline(alice);

    const aliceNc = await aliceNats.connect();
    const registry = await EngineRegistry.open(aliceNc, silentLogger);
    for (let e = 0; e < ENGINES; e++) {
      const state: EngineState = {
        engineId: `big-${e}`,
        version: 'test',
        endpoints: [{ address: '127.0.0.1', port: 7000 + e }],
        torrents: Array.from({ length: PER_ENGINE }, (_, i) => ({
          hash: hashOf(e, i),
          name: nameOf(e, i),
          size: 1_000_000 + i,
        })),
        heartbeatMs: 600_000,
      };
      await registry.announce(state);
    }
    await bob.gateway.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === prosody.jid('alice') && l.shares === TOTAL,
      { what: `bob's gateway to receive alice's ${TOTAL} shares`, timeoutMs: 180_000 },
    );
    nc = await bob.nats.connect();
  }, 300_000);
  afterAll(() => cleanup.run());

  it('the gateway answers xmpp.shares in pages below the default max payload, cutting inside alice’s list', async () => {
    expect(nc.info?.max_payload).toBe(DEFAULT_MAX_PAYLOAD);
    const bus = new Bus(nc, silentLogger);
    let cursor: string | null = null;
    const pieces: { page: number; resources: number[] }[] = [];
    let page = 0;
    do {
      const msg = await nc.request(
        xmpp.shares.subject(),
        new TextEncoder().encode(JSON.stringify(cursor === null ? {} : { cursor })),
        { timeout: 30_000 },
      );
      expect(msg.data.length).toBeLessThan(DEFAULT_MAX_PAYLOAD);
      const body = xmpp.shares.response.parse(JSON.parse(new TextDecoder().decode(msg.data)));
      for (const c of body.contacts.filter((c) => c.jid === prosody.jid('alice'))) {
        pieces.push({ page, resources: c.resources.map((r) => r.shares.length) });
      }
      cursor = body.next ?? null;
      page++;
    } while (cursor !== null);
    expect(page).toBeGreaterThanOrEqual(2);
    // alice's one list spans several pages.
    expect(new Set(pieces.map((p) => p.page)).size).toBeGreaterThanOrEqual(2);

    const all = await fetchAllShares(bus, { timeoutMs: 30_000 });
    if (!all.ok) throw all.error;
    const aliceList = all.value.find((c) => c.jid === prosody.jid('alice'));
    expect(aliceList?.resources.map((r) => [r.resource, r.shares.length])).toEqual([
      ['bitween/big-0', PER_ENGINE],
      ['bitween/big-1', PER_ENGINE],
    ]);
    expect(new Set(aliceList?.resources.flatMap((r) => r.shares.map((s) => s.hash))).size).toBe(TOTAL);
  });

  it('bob’s api searches, lists and counts all of them', async () => {
    const hit = await bob.rest.get<{ shares: { hash: string; name: string; sources: { jid: string }[] }[] }>(
      '/v1/search?q=holiday-video-07777',
    );
    expect(hit.shares).toEqual([
      {
        hash: hashOf(0, 7777),
        name: nameOf(0, 7777),
        size: 1_007_777,
        sources: [{ jid: prosody.jid('alice'), resource: 'bitween/big-0', online: true }],
      },
    ]);
    // The last share of the second entry: at the end of the last page.
    const last = await bob.rest.get<{ shares: { hash: string }[] }>(
      `/v1/search?q=${nameOf(1, PER_ENGINE - 1)}`,
    );
    expect(last.shares.map((s) => s.hash)).toEqual([hashOf(1, PER_ENGINE - 1)]);
    const talks = await bob.rest.get<{ shares: unknown[] }>('/v1/search?q=talk-recording&limit=10000');
    expect(talks.shares).toHaveLength(PER_ENGINE);

    const list = await bob.rest.get<{ resources: { resource: string; shares: unknown[] }[] }>(
      `/v1/contacts/${prosody.jid('alice')}/shares`,
    );
    expect(list.resources.map((r) => r.shares.length)).toEqual([PER_ENGINE, PER_ENGINE]);
    const all = await bob.rest.get<{ shares: unknown[] }>(`/v1/shares?jid=${prosody.jid('alice')}`);
    expect(all.shares).toHaveLength(TOTAL);

    const { contacts } = await bob.rest.get<{ contacts: { jid: string; shares: number }[] }>('/v1/contacts');
    expect(contacts.find((c) => c.jid === prosody.jid('alice'))?.shares).toBe(TOTAL);

    const rpc = await bob.rpc.result<SharesResult>('xmpp.get_shares');
    const resources = rpc.shares[prosody.jid('alice')] ?? {};
    expect(Object.keys(resources).sort()).toEqual(['bitween/big-0', 'bitween/big-1']);
    expect(Object.values(resources).map((r) => Object.keys(r.shares).length)).toEqual([
      PER_ENGINE,
      PER_ENGINE,
    ]);
  });
});
