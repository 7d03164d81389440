import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { shareRandomFile } from '../harness/shares.js';
import { waitFor } from '../harness/wait.js';
import {
  DOMAINS,
  federationUnavailable,
  phone,
  startFederation,
  startFriendsOn,
  type Federation,
} from './federation.js';
import type { HomeStack } from './home-stack.js';
import { startLab, type Lab } from './lab.js';
import type { StockXmpp } from './stock-xmpp.js';
import { MiB, shareAndDownload } from './world.js';

/**
 * Issue 20 item 1: the two-friend flow on real XMPP servers as self-hosters run them (Debian's
 * stock configs, rate limits included), found through the lab's DNS (SRV), with the friends on
 * different servers (Prosody a.example ↔ ejabberd b.example, over s2s) and on the same one. Per
 * case: both bitweens log in (SRV, TLS with the lab CA), become friends (a subscription request
 * approved on both sides), and each shares a file the other downloads, bytes checked. alice is
 * behind a NAT router, bob on a public address.
 */

const unavailable = federationUnavailable();
if (unavailable) console.warn(`skipping the federation lab: ${unavailable}`);

const SIZE = 4 * MiB;

describe.skipIf(unavailable !== null)(
  'federation lab: Prosody (a.example) and ejabberd (b.example), stock configs',
  () => {
    const cleanup = new Cleanup();
    let lab: Lab;
    let fed: Federation;

    beforeAll(async () => {
      const started = Date.now();
      lab = await startLab(cleanup, { homes: [{ name: 'alice' }, { name: 'bob', nat: 'none' }] });
      fed = await startFederation(cleanup, lab, ['alice', 'bob']);
      console.log(`lab, DNS and both XMPP servers up in ${Date.now() - started} ms`);
    }, 180_000);
    afterAll(() => cleanup.run(), 120_000);

    const cases: { name: string; alice: 'prosody' | 'ejabberd'; bob: 'prosody' | 'ejabberd' }[] = [
      { name: 'alice on Prosody, bob on ejabberd (s2s)', alice: 'prosody', bob: 'ejabberd' },
      { name: 'both on Prosody', alice: 'prosody', bob: 'prosody' },
      { name: 'both on ejabberd', alice: 'ejabberd', bob: 'ejabberd' },
    ];

    describe.each(cases)('$name', (c) => {
      const home = new Cleanup();
      let alice: HomeStack;
      let bob: HomeStack;
      let servers: { alice: StockXmpp; bob: StockXmpp };

      beforeAll(async () => {
        const started = Date.now();
        servers = { alice: fed[c.alice], bob: fed[c.bob] };
        ({ alice, bob } = await startFriendsOn(home, lab, fed, servers));
        console.log(`${c.name}: both bitweens online and friends in ${Date.now() - started} ms`);
      }, 180_000);
      afterAll(() => home.run(), 120_000);

      it('the gateways found their servers by DNS SRV and became mutual friends', async () => {
        expect(alice.jid).toBe(`alice@${DOMAINS[c.alice]}`);
        expect(bob.jid).toBe(`bob@${DOMAINS[c.bob]}`);
        // Mutual presence subscription (over s2s when the servers differ), each seen online.
        for (const [n, friend] of [
          [alice, bob],
          [bob, alice],
        ] as const)
          expect((await n.rest.get<{ contacts: unknown[] }>('/v1/contacts')).contacts).toContainEqual(
            expect.objectContaining({ jid: friend.jid, subscription: 'both', online: true }),
          );
        const queries = fed.dns.queries();
        for (const n of [alice, bob])
          expect(queries).toContainEqual({
            type: 'SRV',
            name: `_xmpp-client._tcp.${n.jid.split('@')[1]}`,
            from: n.home.publicAddress, // alice's through her router's NAT
          });
        if (c.alice !== c.bob) {
          // Each server looked the other up (s2s), from its own address.
          for (const [from, to] of [
            [servers.alice, servers.bob],
            [servers.bob, servers.alice],
          ] as const)
            expect(queries).toContainEqual({
              type: 'SRV',
              name: `_xmpp-server._tcp.${to.domain}`,
              from: from.address,
            });
          // Each accepted the other's incoming s2s stream by its lab-CA certificate (SASL EXTERNAL), not dialback.
          const logged = (server: StockXmpp, text: string) =>
            server.child.output.items.some((l) => l.includes(text));
          expect(logged(fed.prosody, 'Accepting SASL EXTERNAL identity from b.example')).toBe(true);
          expect(
            logged(fed.ejabberd, 'Accepted inbound s2s EXTERNAL authentication a.example -> b.example'),
          ).toBe(true);
        }
      });

      it('alice shares → bob downloads, bytes checked', async () => {
        await shareAndDownload(alice, bob, SIZE, { timeoutMs: 120_000 });
      }, 180_000);

      it('bob shares → alice downloads, bytes checked', async () => {
        await shareAndDownload(bob, alice, SIZE, { timeoutMs: 120_000 });
      }, 180_000);

      // Issue 20 item 5 on the stock configs (and over s2s): a whitelist group node of alice's
      // server, with bob's JID (on either server) as its member.
      it('a share only the group "family" sees: bob sees it while alice has him in it, not before nor after', async () => {
        const aliceClient = await phone(home, fed, servers.alice, 'alice');
        home.add('alice’s phone', () => aliceClient.stop());
        const iq = (
          aliceClient as unknown as { iqCaller: { request(el: Element, t?: number): Promise<Element> } }
        ).iqCaller;
        const setGroup = (group: string) =>
          iq.request(
            xml(
              'iq',
              { type: 'set' },
              xml(
                'query',
                { xmlns: 'jabber:iq:roster' },
                xml('item', { jid: bob.jid }, xml('group', {}, group)),
              ),
            ),
            30_000,
          );
        const shared = await shareRandomFile(alice, 'family.bin', 64 * 1024);
        const bobSees = async () =>
          (await bob.rest.get<{ shares: { hash: string }[] }>('/v1/shares')).shares.some(
            (s) => s.hash === shared.hash,
          );
        const wait = (sees: boolean, what: string) =>
          waitFor(async () => (await bobSees()) === sees, { what, timeoutMs: 90_000, intervalMs: 250 });
        await wait(true, 'bob to see the share (every contact sees it)');
        await alice.rest.request('PUT', `/v1/torrents/${shared.hash}/visibility`, { groups: ['family'] });
        await wait(false, 'bob (in no group) to lose the share');
        await setGroup('family');
        await wait(true, 'bob (in "family") to see the share, from the group node');
        await setGroup('neighbours');
        await wait(false, 'bob (out of "family") to lose it again');
      }, 300_000);
    });
  },
);
