import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { xmpp, type TicketTable } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  droppedSignalling,
  makeTempDir,
  removeTempDir,
  silentLogger,
  startFriends,
  startGateway,
  startNats,
  waitFor,
  type BitweenNode,
  type Prosody,
  type TorrentsResult,
} from '../harness/index.js';
import { connectClient, errorCondition, sdpOffer, xml, type TestClient } from '../harness/xmpp-client.js';

const NS = 'urn:bitween:rendezvous:0';
const TURN_SECRET = 'turn-shared-secret';
const UNKNOWN_HASH = 'e'.repeat(40);

/** A WebRTC offer with a loopback and a public host candidate. */
const OFFER = sdpOffer([
  ['127.0.0.1', 50001],
  ['203.0.113.10', 50000],
]);

/**
 * The gateway side of rendezvous (issue 19) through a real Prosody (with mod_turn_external for
 * XEP-0215) and real engines: two friends' gateways exchange tickets, `xmpp.connect` reaches the
 * friend's engine (`engine.connect`) and brings its WebRTC answer back, and what strangers,
 * floods, unknown hashes and loopback candidates get.
 */
describe('rendezvous between two friends’ gateways', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;
  let aliceBus: Bus;
  let bobBus: Bus;
  let mallory: TestClient;
  let hash: string;

  const tickets = async (bus: Bus): Promise<TicketTable> => {
    const r = await bus.request(xmpp.tickets, {});
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], {
      accounts: ['carol', 'mallory'],
      friends: ['carol'],
      prosody: {
        modules: ['turn_external'],
        // (no TURN server runs: discovery only needs the server to name one)
        extraConfig: `turn_external_secret = "${TURN_SECRET}"\nturn_external_host = "127.0.0.1"\nturn_external_port = 3478\n`,
      },
    }));
    aliceBus = new Bus(await alice.nats.connect(), silentLogger);
    bobBus = new Bus(await bob.nats.connect(), silentLogger);
    mallory = await connectClient(cleanup, prosody, 'mallory', 'mallory-pw');
  });
  afterAll(() => cleanup.run());

  it('the two gateways exchange tickets: HMACs of each one’s secret, the same on both sides', async () => {
    const [a, b] = await waitFor(
      async () => {
        const pair = [await tickets(aliceBus), await tickets(bobBus)] as const;
        return (
          pair[0].received.some((r) => r.jid === bob.jid) &&
          pair[1].received.some((r) => r.jid === alice.jid) &&
          pair
        );
      },
      { what: 'both gateways to hold the other’s ticket', timeoutMs: 60_000 },
    );
    const ticketOf = (secret: Buffer, own: string, contact: string) =>
      createHmac('sha256', secret).update(`bitween ticket v0\n${own}\n${contact}`).digest('base64url');
    const aliceSecret = await readFile(join(alice.dirs.gatewayData, 'rendezvous-secret'));
    const bobSecret = await readFile(join(bob.dirs.gatewayData, 'rendezvous-secret'));
    expect(aliceSecret).toHaveLength(32);
    const issuedByAlice = a.issued.find((i) => i.jid === bob.jid)?.ticket;
    const issuedByBob = b.issued.find((i) => i.jid === alice.jid)?.ticket;
    expect(issuedByAlice).toBe(ticketOf(aliceSecret, alice.jid, bob.jid));
    expect(issuedByBob).toBe(ticketOf(bobSecret, bob.jid, alice.jid));
    expect(b.received.find((r) => r.jid === alice.jid)?.ticket).toBe(issuedByAlice);
    expect(a.received.find((r) => r.jid === bob.jid)?.ticket).toBe(issuedByBob);
    expect(a.self).toBe(alice.jid);
    expect(a.legacy).toEqual([]);
    // (tickets are secrets: never in a log line)
    expect(bob.engine.logs.some((l) => JSON.stringify(l).includes(issuedByAlice!))).toBe(false);
  });

  it('a friend whose client does not speak the namespace is marked legacy', async () => {
    const events: number[] = [];
    const sub = aliceBus.subscribe(xmpp.ticketsChanged, ({ revision }) => void events.push(revision));
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw'); // plain xmpp.js: service-unavailable
    const table = await waitFor(
      async () => {
        const t = await tickets(aliceBus);
        return t.legacy.includes(prosody.jid('carol')) && t;
      },
      { what: 'carol to be marked legacy' },
    );
    expect(table.received.some((r) => r.jid === prosody.jid('carol'))).toBe(false);
    expect(table.issued.some((r) => r.jid === prosody.jid('carol'))).toBe(true);
    // engines are told (the event carries the revision only)
    await waitFor(() => events.includes(table.revision), {
      what: 'xmpp.tickets-changed with the new revision',
    });
    sub.unsubscribe();
    await carol.client.stop();
  });

  it('a second instance of alice’s account agrees with the first on one ticket for the account', async () => {
    const nats = await startNats(cleanup);
    const dataDir = await makeTempDir('alice-second');
    cleanup.add('alice-second data', () => removeTempDir(dataDir));
    const second = await startGateway(cleanup, {
      label: 'alice-second-gateway',
      nats,
      server: prosody,
      user: 'alice',
      resource: 'second',
      env: { BITWEEN_DATA_DIR: dataDir }, // its own secret
    });
    const secondBus = new Bus(await nats.connect(), silentLogger);
    const selfTicket = (t: TicketTable, list: 'issued' | 'received') =>
      t[list].find((e) => e.jid === alice.jid)?.ticket;
    const agreed = await waitFor(
      async () => {
        const [a, b] = [await tickets(aliceBus), await tickets(secondBus)];
        const values = [
          selfTicket(a, 'issued'),
          selfTicket(a, 'received'),
          selfTicket(b, 'issued'),
          selfTicket(b, 'received'),
        ];
        return values.every((v) => v !== undefined && v === values[0]) && values[0];
      },
      { what: 'both instances to use one ticket for the account' },
    );
    expect(agreed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await second.stop();
  });

  it('we advertise the namespace in disco#info (caps)', async () => {
    const iq = (mallory.client as unknown as { iqCaller: { request(el: Element): Promise<Element> } })
      .iqCaller;
    const reply = await iq.request(
      xml(
        'iq',
        { type: 'get', to: `${alice.jid}/bitween` },
        xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
      ),
    );
    const features = reply
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var as string);
    expect(features).toContain(NS);
  });

  it('XEP-0215: STUN and TURN (with time-limited credentials) from our server, and STUN used for the public address', async () => {
    const r = await aliceBus.request(xmpp.iceServers, {});
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.source).toBe('xep-0215');
    expect(r.value.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    const turn = r.value.iceServers[1];
    expect(turn?.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    // mod_turn_external: username = expiry (epoch s), password = base64(HMAC-SHA1(secret, username))
    expect(turn?.credential).toBe(
      createHmac('sha1', TURN_SECRET)
        .update(turn?.username ?? '')
        .digest('base64'),
    );
    expect(r.value.expiresAt).toBe(Number(turn?.username) * 1000);
    expect(r.value.expiresAt).toBeGreaterThan(Date.now());
    await alice.gateway.waitForLog(
      (l) => l.msg === 'STUN server for public-address discovery' && l.server === '127.0.0.1:3478',
      { what: 'public-address discovery to use the discovered STUN server' },
    );
  });

  it('xmpp.connect reaches the friend’s engine and brings back its WebRTC answer; loopback candidates are stripped', async () => {
    const path = join(alice.dirs.shares, 'rendezvous.bin');
    await writeFile(path, Buffer.alloc(256 * 1024, 7));
    expect(await alice.rpc.result('bt.add_path', { path })).toBe(true);
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    hash = torrents.find((t) => t.name === 'rendezvous.bin')!.hash;
    // bob's gateway knows alice's resource offers the hash once her list arrived
    await bob.gateway.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === alice.jid && Number(l.shares) > 0,
      {
        what: 'alice’s list at bob',
      },
    );
    const reply = await bobBus.request(
      xmpp.connect,
      { hash, jid: alice.jid, engineId: 'bob-engine-1', sdp: OFFER },
      { timeoutMs: 40_000 },
    );
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.value.from).toBe(`${alice.jid}/bitween`);
    expect(reply.value.sdp).toMatch(/^v=0\r\n/);
    expect(reply.value.sdp).toContain('a=fingerprint:');
    expect(reply.value.sdp).not.toMatch(/^a=candidate:\S+ \S+ \S+ \S+ (127\.|::1 )/m);
    const seen = await alice.engine.waitForLog(
      (l) => l.msg === 'rendezvous from a contact' && l.hash === hash,
      {
        what: 'alice’s engine to get engine.connect',
      },
    );
    expect(seen).toMatchObject({ jid: bob.jid, offer: true });
    // bob's engine listens on loopback: its endpoints, and the offer's loopback candidate, never reach alice's engine
    const stripped = await alice.gateway.waitForLog(
      (l) => l.msg?.startsWith('dropped endpoints and ICE candidates') === true,
      {
        what: 'alice’s gateway to strip loopback addresses',
      },
    );
    expect(stripped).toMatchObject({ from: `${bob.jid}/bitween`, droppedCandidates: 1 });
    expect(Number(stripped.droppedEndpoints)).toBeGreaterThan(0);
    expect(seen.endpoints).toBe(0);

    // without an offer: connection reversal only
    const back = await bobBus.request(
      xmpp.connect,
      { hash, jid: alice.jid, engineId: 'bob-engine-1' },
      { timeoutMs: 40_000 },
    );
    expect(back).toEqual({ ok: true, value: { from: `${alice.jid}/bitween` } });
  });

  it('xmpp.connect to a contact without a bitween resource is not_found', async () => {
    const r = await bobBus.request(xmpp.connect, {
      hash: UNKNOWN_HASH,
      jid: prosody.jid('carol'),
      engineId: 'bob-engine-1',
    });
    expect(r.ok ? null : r.error.code).toBe('not_found');
    const stranger = await bobBus.request(xmpp.connect, {
      hash: UNKNOWN_HASH,
      jid: prosody.jid('mallory'),
      engineId: 'bob-engine-1',
    });
    expect(stranger.ok ? null : stranger.error.code).toBe('not_found');
  });

  it('a stranger’s <ticket/> and <connect/> are refused (not-authorized) and counted', async () => {
    const before = await droppedSignalling(aliceBus);
    const ticket = await mallory.iqSet(
      `${alice.jid}/bitween`,
      xml('ticket', { xmlns: NS, value: 'A'.repeat(43) }),
    );
    expect(ticket.attrs.type).toBe('error');
    expect(errorCondition(ticket)).toBe('not-authorized');
    const connect = await mallory.iqSet(
      `${alice.jid}/bitween`,
      xml('connect', { xmlns: NS, hash }, xml('endpoint', { address: '203.0.113.66', port: '6881' })),
    );
    expect(errorCondition(connect)).toBe('not-authorized');
    expect(await droppedSignalling(aliceBus)).toBe(before + 2);
    expect((await tickets(aliceBus)).received.some((r) => r.jid === prosody.jid('mallory'))).toBe(false);
  });

  it('a friend’s malformed request is bad-request, an unknown hash item-not-found, and a flood hits the rate limit', async () => {
    // carol: a mutual contact whose bucket is still full (bob's was used by the tests above)
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    const to = `${alice.jid}/bitween`;
    const before = await droppedSignalling(aliceBus);
    const replies: Element[] = [];
    replies.push(await carol.iqSet(to, xml('connect', { xmlns: NS, hash: 'not-a-hash' })));
    for (let i = 0; i < 12; i++)
      replies.push(await carol.iqSet(to, xml('connect', { xmlns: NS, hash: UNKNOWN_HASH })));
    const conditions = replies.map(errorCondition);
    expect(conditions[0]).toBe('bad-request');
    expect(conditions.slice(1, 5)).toEqual(Array(4).fill('item-not-found'));
    expect(conditions).toContain('resource-constraint');
    expect(
      conditions.every((c) => c === 'bad-request' || c === 'item-not-found' || c === 'resource-constraint'),
    ).toBe(true);
    expect(await droppedSignalling(aliceBus)).toBe(before + replies.length);
    // still serving
    expect((await aliceBus.request(xmpp.status, {})).ok).toBe(true);
  });
});
