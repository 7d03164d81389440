import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { engine, xmpp, type TicketTable } from '@bitween/messages';
import { FriendAddressesStore } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  playGatewayContracts,
  sha256File,
  silentLogger,
  startLibtorrent,
  startTestEngine,
  testTicket,
  torrentPort,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const OLD = 'old@example.org';

const table = (self: string, t: Partial<TicketTable> = {}): TicketTable => ({
  self,
  issued: [],
  received: [],
  legacy: [],
  revision: 1,
  ...t,
});

/**
 * Admission by tickets with real engines (component test: the test plays the gateway's side of
 * `xmpp.tickets` for each engine, as the table two gateways that exchanged tickets would give).
 * Nothing is allowed by configuration (BITWEEN_PEER_ALLOW empty) and every peer connects from
 * loopback, an address no contact announced, unless a case says otherwise.
 */
describe('admission by tickets (engine component test)', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let hash = '';
  let sum = '';
  let port = 0;

  /** An engine with BITWEEN_PEER_ALLOW empty whose `xmpp.tickets` answers `t`. */
  const engineWith = async (id: string, t: TicketTable) => {
    const e = await startTestEngine(cleanup, { root, id, extra: { BITWEEN_PEER_ALLOW: '' } });
    const gw = await playGatewayContracts(cleanup, e.bus, { tickets: t });
    // The engine asked once at start, maybe before we answered: tell it the table changed.
    gw.setTickets(t);
    await e.process.waitForLog((l) => l.msg === 'ticket table' && l.revision === t.revision, {
      what: `${id} to fetch its ticket table`,
    });
    return e;
  };

  const aliceState = async () => {
    const [me] = await alice.registry.live();
    return me!.state;
  };

  beforeAll(async () => {
    root = await makeTempDir('admission');
    alice = await engineWith(
      'alice',
      table(ALICE, {
        issued: [{ jid: BOB, ticket: testTicket(1) }],
        received: [{ jid: BOB, ticket: testTicket(2) }],
        legacy: [OLD],
      }),
    );
    const file = join(root, 'alice', 'private.bin');
    sum = await writeRandomFile(file, 3 * 1024 * 1024 + 17);
    const shared = await alice.bus.request(engine.addPath, { path: file });
    if (!shared.ok) throw shared.error;
    hash = shared.value.torrent.hash;
    port = torrentPort(alice);
  });
  afterAll(() => cleanup.run());

  it('admits a friend by its proof from an address nobody announced; it downloads', async () => {
    const bob = await engineWith(
      'bob',
      table(BOB, {
        issued: [{ jid: ALICE, ticket: testTicket(2) }],
        received: [{ jid: ALICE, ticket: testTicket(1) }],
      }),
    );
    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: 'bob to download',
    });
    const added = await bob.bus.request(engine.addHash, { hash });
    if (!added.ok) throw added.error;
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port, jid: ALICE }] }],
    });
    await complete;
    expect(await sha256File(join(root, 'bob', 'downloads', 'private.bin'))).toBe(sum);
    expect(
      alice.process.logs.some((l) => l.msg === 'admitted a peer' && l.jid === BOB && l.by === 'proof'),
    ).toBe(true);
    const state = await waitFor(
      async () => {
        const s = await aliceState();
        return (s.admission?.admitted ?? 0) >= 1 && (s.connections?.tcpDirect ?? 0) >= 1 && s;
      },
      { what: 'alice to count the admitted connection' },
    );
    expect(state.admission?.refused).toEqual({});
    await bob.process.stop();
  });

  it('refuses a wrong proof: no metadata, no byte', async () => {
    // mallory says it is bob but holds no ticket alice gave bob.
    const mallory = await engineWith(
      'mallory',
      table(BOB, {
        issued: [{ jid: ALICE, ticket: testTicket(98) }],
        received: [{ jid: ALICE, ticket: testTicket(99) }],
      }),
    );
    const added = await mallory.bus.request(engine.addHash, { hash });
    if (!added.ok) throw added.error;
    mallory.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port, jid: ALICE }] }],
    });
    await waitFor(async () => ((await aliceState()).admission?.refused['bad-proof'] ?? 0) >= 1, {
      what: 'alice to refuse the wrong proof',
    });
    expect(
      alice.process.logs.some((l) => l.msg === 'refused a peer' && l.reason === 'bad-proof' && l.jid === BOB),
    ).toBe(true);
    const listed = await mallory.bus.request(engine.list, {}, { params: { engineId: 'mallory' } });
    if (!listed.ok) throw listed.error;
    expect(listed.value.torrents[0]).toMatchObject({ hash, state: 'metadata', downloaded: 0 });
    await mallory.process.stop();
  });

  const leech = (label: string, bind: string) =>
    startLibtorrent(cleanup, {
      label,
      env: { MODE: 'leech', HASH: hash, PEER: `127.0.0.1:${port}`, SAVE: join(root, label), BIND: bind },
    });
  const announced = new Map<string, string[]>();
  /** `jid`'s list announces `address`: the friends' address allowlist as alice's gateway rewrites it, followed by alice. */
  const announce = async (jid: string, address: string) => {
    announced.set(jid, [address]);
    const store = await FriendAddressesStore.open(alice.bus.nc, silentLogger);
    const friends = [...announced].map(([j, addresses]) => ({ jid: j, addresses }));
    await store.put({ friends, updatedAt: Date.now() });
    await alice.process.waitForLog(
      (l) => l.msg === 'friend addresses updated' && l.friends === friends.length,
      {
        what: 'alice to follow the allowlist',
      },
    );
  };

  it('closes a peer without proof even from an address a (ticket-holding) contact announces', async () => {
    await announce(BOB, '127.0.0.3');
    const before = (await aliceState()).admission?.refused.stranger ?? 0;
    const stranger = await leech('lt-stranger', '127.0.0.3');
    await waitFor(async () => ((await aliceState()).admission?.refused.stranger ?? 0) > before, {
      what: 'alice to refuse the libtorrent peer as a stranger',
    });
    const statuses = () => stranger.logs.filter((l) => l.msg === 'status').length;
    const seen = statuses();
    await waitFor(() => statuses() >= seen + 5, { what: 'the stranger to report its state after refusal' });
    expect(stranger.logs.filter((l) => l.msg === 'status').at(-1)).toMatchObject({
      has_metadata: false,
      total_payload_download: 0,
    });
    await stranger.stop();
  });

  it('admits a legacy contact (original Bitween, libtorrent) by the address it announces', async () => {
    await announce(OLD, '127.0.0.4');
    const legacy = await leech('lt-legacy', '127.0.0.4');
    await legacy.waitForLog((l) => l.msg === 'download complete', { what: 'the legacy peer to download' });
    expect(await sha256File(join(root, 'lt-legacy', 'private.bin'))).toBe(sum);
    expect(
      alice.process.logs.some(
        (l) => l.msg === 'admitted a peer' && l.by === 'address' && l.how === 'legacy contact',
      ),
    ).toBe(true);
  });

  it('bounds the connections waiting for admission from one address', async () => {
    // Raw TCP clients that say nothing: each waits for admission until the per-IP bound (8).
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' }, () => resolve(s));
        s.once('error', reject);
        cleanup.add('raw client', () => s.destroy());
      });
    const waiting: Socket[] = [];
    for (let i = 0; i < 8; i++) waiting.push(await open());
    const ninth = await open();
    await new Promise((resolve) => ninth.once('close', resolve));
    expect(waiting.every((s) => !s.destroyed)).toBe(true);
    await waitFor(async () => ((await aliceState()).admission?.refused.overload ?? 0) >= 1, {
      what: 'alice to count the connection over the bound',
    });
    for (const s of waiting) s.destroy();
  });
});
