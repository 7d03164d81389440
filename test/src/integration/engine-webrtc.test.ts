import { join } from 'node:path';
import { BusError, engine, xmpp, type TicketTable } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  freePort,
  makeTempDir,
  playGatewayContracts,
  sha256File,
  startTestEngine,
  testTicket,
  torrentPort,
  waitFor,
  writeRandomFile,
  type TestEngine,
} from '../harness/index.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';

/**
 * A WebRTC transfer between two engines (component test of the engine): the test plays both
 * gateways only as a relay of contract messages — `xmpp.tickets` answers one consistent table per
 * engine, and bob's `xmpp.connect` is forwarded to alice's `engine.connect` (with no endpoint to
 * dial back, so WebRTC is the only way). bob knows alice at an endpoint where nothing listens:
 * its rendezvous starts once that dial gave no admitted wire.
 */
describe('rendezvous between two engines: WebRTC, connection reversal (component test)', () => {
  const cleanup = new Cleanup();
  let root: string;
  let alice: TestEngine;
  let bob: TestEngine;
  let connects: { hash: string; jid: string; sdp?: string | undefined }[] = [];
  /**
   * What bob's "gateway" relays: the offer only (WebRTC), or bob's endpoint only (connection
   * reversal: alice dials bob back; the answer is left out, as if WebRTC could not connect).
   */
  let relay: 'offer' | 'dial back' = 'offer';

  const start = async (
    id: string,
    t: TicketTable,
    relay?: Parameters<typeof playGatewayContracts>[2]['connect'],
  ) => {
    const e = await startTestEngine(cleanup, { root, id, extra: { BITWEEN_PEER_ALLOW: '' } });
    const gw = await playGatewayContracts(cleanup, e.bus, {
      tickets: t,
      ...(relay ? { connect: relay } : {}),
    });
    gw.setTickets(t);
    await e.process.waitForLog((l) => l.msg === 'ticket table', { what: `${id} to fetch its ticket table` });
    return { e, gw };
  };

  beforeAll(async () => {
    root = await makeTempDir('webrtc');
    ({ e: alice } = await start('alice', {
      self: ALICE,
      issued: [{ jid: BOB, ticket: testTicket(1) }],
      received: [{ jid: BOB, ticket: testTicket(2) }],
      legacy: [],
      revision: 1,
    }));
    const b = await start(
      'bob',
      {
        self: BOB,
        issued: [{ jid: ALICE, ticket: testTicket(2) }],
        received: [{ jid: ALICE, ticket: testTicket(1) }],
        legacy: [],
        revision: 1,
      },
      async (req) => {
        // What alice's gateway would do with the IQ: ask the engine holding the hash.
        const request =
          relay === 'offer'
            ? { hash: req.hash, jid: BOB, endpoints: [], ...(req.sdp ? { sdp: req.sdp } : {}) }
            : { hash: req.hash, jid: BOB, endpoints: [{ address: '127.0.0.1', port: torrentPort(bob) }] };
        const r = await alice.bus.request(engine.connect, request, {
          params: { engineId: 'alice' },
          timeoutMs: 30_000,
        });
        if (!r.ok) throw new BusError('unavailable', r.error.message);
        return { ...(r.value.sdp ? { sdp: r.value.sdp } : {}), from: `${ALICE}/bitween` };
      },
    );
    bob = b.e;
    connects = b.gw.connects;
  });
  afterAll(() => cleanup.run());

  /**
   * alice shares a new file of `bytes`; bob adds its hash and is told alice's endpoint is one
   * where nothing listens (no TCP wire, so bob asks for a rendezvous); resolves with the hash once
   * bob's copy is complete and equal.
   */
  const downloadWithoutTcp = async (name: string, bytes: number, how: string): Promise<string> => {
    const file = join(root, 'alice', name);
    const sum = await writeRandomFile(file, bytes);
    const shared = await alice.bus.request(engine.addPath, { path: file });
    if (!shared.ok) throw shared.error;
    const hash = shared.value.torrent.hash;
    const complete = bob.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: `bob to download ${how}`,
      timeoutMs: 120_000,
    });
    const added = await bob.bus.request(engine.addHash, { hash });
    if (!added.ok) throw added.error;
    const nowhere = await freePort();
    bob.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.1', port: nowhere, jid: ALICE }] }],
    });
    await complete;
    expect(await sha256File(join(root, 'bob', 'downloads', name))).toBe(sum);
    return hash;
  };

  it('bob downloads alice’s share over a WebRTC data channel, bytes equal', async () => {
    const hash = await downloadWithoutTcp('over-webrtc.bin', 2 * 1024 * 1024 + 333, 'over WebRTC');
    expect(connects.some((c) => c.hash === hash && c.jid === ALICE && c.sdp?.startsWith('v=0'))).toBe(true);
    // Each side admitted the other's WebRTC wire by proof and counted it as WebRTC (no TURN here).
    for (const [side, peer] of [
      [alice, BOB],
      [bob, ALICE],
    ] as const) {
      expect(
        side.process.logs.some(
          (l) => l.msg === 'admitted a peer' && l.type === 'webrtc' && l.jid === peer && l.by === 'proof',
        ),
      ).toBe(true);
      await waitFor(
        async () => {
          const [me] = await side.registry.live();
          return (me?.state.connections?.webrtcDirect ?? 0) >= 1;
        },
        { what: `${side.id} to count a direct WebRTC connection` },
      );
    }
  });

  it('connection reversal: alice dials bob back at the endpoint the rendezvous carries', async () => {
    relay = 'dial back';
    const hash = await downloadWithoutTcp(
      'dialled-back.bin',
      1024 * 1024 + 5,
      'over the connection alice dialled',
    );
    // bob accepted alice's connection from an address nobody announced and admitted it by proof.
    expect(
      bob.process.logs.some(
        (l) => l.msg === 'admitted a peer' && l.type === 'tcpIncoming' && l.jid === ALICE && l.hash === hash,
      ),
    ).toBe(true);
  });
});
