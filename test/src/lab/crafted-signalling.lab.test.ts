import { xmpp } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { silentLogger } from '../harness/engine-env.js';
import { waitFor } from '../harness/wait.js';
import type { Child } from '../harness/child.js';
import type { ScriptProcess } from '../harness/service.js';
import { connectClient, errorCondition, sdpOffer, xml, type TestClient } from '../harness/xmpp-client.js';
import { droppedSignalling } from '../harness/gateway.js';
import { bridgeInto } from './home-stack.js';
import { labUnavailable } from './netns.js';
import { listenIn, udpListenIn } from './probe.js';
import { download, MiB, share, startWorld, waitForShare, type World } from './world.js';

/**
 * Issue 19's scenario f: crafted rendezvous signalling against alice's bitween in the lab — a
 * stranger's <ticket/> and <connect/>, a contact's flood of <connect/>, and a <connect/> whose
 * endpoints and ICE candidates name alice's own and loopback addresses. All refused or stripped
 * (XMPP errors, counted in xmpp.status droppedSignalling), nothing dialled to those addresses,
 * both daemons keep running, and a normal download works afterwards.
 */

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const NS = 'urn:bitween:rendezvous:0';
const SIZE = 32 * MiB;
/** Ports where alice's home server listens only to see whether anything dials them. */
const TRAP_LOOPBACK = 7301;
const TRAP_OWN = 7302;

const alive = (p: ScriptProcess) =>
  Promise.race([p.exited.then(() => false), new Promise<boolean>((r) => setImmediate(() => r(true)))]);

describe.skipIf(unavailable !== null)(
  'lab scenario f: crafted signalling (a stranger, a flood, endpoints and candidates for our own addresses) → dropped',
  () => {
    const cleanup = new Cleanup();
    let w: World;
    let aliceBus: Bus;
    let mallory: TestClient;
    let bobsOther: TestClient;
    let traps: Child[];
    let shared: Awaited<ReturnType<typeof share>>;
    let to: string;

    beforeAll(async () => {
      // alice on a public address (her own addresses are easy to name); bob behind NAT with STUN.
      w = await startWorld(cleanup, {
        homes: [{ name: 'alice', nat: 'none' }, { name: 'bob' }],
        gatewayEnv: { bob: { BITWEEN_STUN_SERVER: '203.0.113.1:3478' } },
        strangers: ['mallory'],
      });
      to = `${w.alice.jid}/bitween`;
      aliceBus = new Bus(await w.alice.nats.connect('test', { servers: w.alice.natsUrl }), silentLogger);
      // Test clients reach Prosody (in the lab's internet) through a bridge.
      const xmppPort = await bridgeInto(cleanup, w.lab.internet.ns, w.prosody.port, w.lab.internet.address);
      const server = { ...w.prosody, service: `xmpp://127.0.0.1:${xmppPort}` };
      mallory = await connectClient(cleanup, server, 'mallory', 'mallory-pw');
      // A contact's own crafted client: bob's account, another resource.
      bobsOther = await connectClient(cleanup, server, 'bob', 'bob-pw');
      const home = w.alice.home;
      traps = [
        await listenIn(cleanup, home.serverNs, '127.0.0.1', TRAP_LOOPBACK),
        await listenIn(cleanup, home.serverNs, home.serverAddress, TRAP_OWN),
        await udpListenIn(cleanup, home.serverNs, '127.0.0.1', TRAP_LOOPBACK),
        await udpListenIn(cleanup, home.serverNs, home.serverAddress, TRAP_OWN),
      ];
      shared = await share(w.alice, 'shared.bin', SIZE);
      // alice's engine holds the hash and her gateway answers for it once it knows the share: bob
      // seeing it in her list proves her gateway published it (a CI run asked before, and got
      // item-not-found).
      await waitForShare(w.bob, w.alice, shared.hash);
      await waitFor(
        async () => {
          const r = await aliceBus.request(xmpp.tickets, {});
          return r.ok && r.value.received.some((t) => t.jid === w.bob.jid);
        },
        { what: 'alice to hold bob’s ticket' },
      );
    });
    afterAll(() => cleanup.run());

    it('a stranger’s <ticket/> and <connect/> get not-authorized and are counted', async () => {
      const before = await droppedSignalling(aliceBus);
      const ticket = await mallory.iqSet(to, xml('ticket', { xmlns: NS, value: 'A'.repeat(43) }));
      const connect = await mallory.iqSet(
        to,
        xml(
          'connect',
          { xmlns: NS, hash: shared.hash },
          xml('endpoint', { address: w.lab.homes.bob!.publicAddress, port: '6881' }),
          xml('sdp', {}, sdpOffer([[w.lab.homes.bob!.publicAddress, 50000]])),
        ),
      );
      expect([ticket.attrs.type, connect.attrs.type]).toEqual(['error', 'error']);
      expect([errorCondition(ticket), errorCondition(connect)]).toEqual(['not-authorized', 'not-authorized']);
      expect(await droppedSignalling(aliceBus)).toBe(before + 2);
      const tickets = await aliceBus.request(xmpp.tickets, {});
      expect(tickets.ok && tickets.value.received.some((t) => t.jid === w.prosody.jid('mallory'))).toBe(
        false,
      );
    });

    it('a contact’s <connect/> naming alice’s own and loopback addresses dials none of them', async () => {
      const own = w.alice.home.serverAddress;
      const reply = await bobsOther.iqSet(
        to,
        xml(
          'connect',
          { xmlns: NS, hash: shared.hash },
          xml('endpoint', { address: '127.0.0.1', port: String(TRAP_LOOPBACK) }),
          xml('endpoint', { address: own, port: String(TRAP_OWN) }),
          xml('endpoint', { address: '::1', port: String(TRAP_LOOPBACK) }),
          xml(
            'sdp',
            {},
            sdpOffer([
              ['127.0.0.1', TRAP_LOOPBACK],
              [own, TRAP_OWN],
            ]),
          ),
        ),
      );
      // A contact may ask: answered, with the bad endpoints and candidates stripped before they
      // reach alice's engine (the traps stay silent: checked after the download below, which gives
      // her engine time to dial anything it was going to).
      expect({ type: reply.attrs.type as string | undefined, error: errorCondition(reply) }).toEqual({
        type: 'result',
        error: undefined,
      });
      expect(reply.getChild('connect')?.getChildText('sdp')).toMatch(/^v=0/);
    });

    it('a contact’s flood of <connect/> hits the rate limit (resource-constraint), counted', async () => {
      const before = await droppedSignalling(aliceBus);
      const replies = await Promise.all(
        Array.from({ length: 20 }, () =>
          bobsOther.iqSet(
            to,
            xml(
              'connect',
              { xmlns: NS, hash: shared.hash },
              xml('endpoint', { address: '127.0.0.1', port: String(TRAP_LOOPBACK) }),
            ),
          ),
        ),
      );
      const limited = replies.filter((r) => errorCondition(r) === 'resource-constraint').length;
      expect(limited).toBeGreaterThan(0);
      expect(await droppedSignalling(aliceBus)).toBeGreaterThanOrEqual(before + limited);
    });

    it('both daemons keep running, a normal download works afterwards, and nothing dialled the trap addresses', async () => {
      for (const p of [w.alice.engine, w.alice.gateway, w.bob.engine, w.bob.gateway])
        expect(await alive(p)).toBe(true);
      await download(w.bob, shared, 120_000);
      for (const trap of traps) expect(trap.output.items.filter((l) => l.startsWith('from '))).toEqual([]);
      const status = await aliceBus.request(xmpp.status, {});
      expect(status.ok).toBe(true);
    });
  },
);
