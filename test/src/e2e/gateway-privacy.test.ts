import { subjects, xmpp, type Contact, type PendingSubscription } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
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
  type NatsServer,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, NS_SHARES, presences, xml } from '../harness/xmpp-client.js';

const H1 = 'a'.repeat(40);

/**
 * Private by default: subscription requests are held and decided over NATS (or approved
 * automatically when configured); contacts carry presence; a contact going offline keeps its
 * list but its entries are offline.
 */
describe('subscriptions, contacts and presence over NATS', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let nats: NatsServer;
  let alice: ServiceProcess;
  let nc: NatsConnection;
  let bus: Bus;
  const contactEvents = new Feed<Contact>((c) => JSON.stringify(c));
  const requestEvents = new Feed<PendingSubscription>((c) => JSON.stringify(c));

  const gateway = (label: string, user: string, nats: NatsServer, env: Record<string, string> = {}) =>
    startGateway(cleanup, { label, nats, server: prosody, user, env });

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((user) => ({
        user,
        password: `${user}-pw`,
      })),
      friends: ['alice', 'bob'],
    });
    nats = await startNats(cleanup);
    nc = await nats.connect();
    bus = new Bus(nc, silentLogger);
    bus.subscribe(xmpp.contactChanged, (c) => contactEvents.push(c));
    bus.subscribe(xmpp.subscriptionRequest, (r) => requestEvents.push(r));
    alice = await gateway('privacy-alice', 'alice', nats);
    await xmppOnline(alice);
  });
  afterAll(() => cleanup.run());

  async function call<T>(
    p: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>,
  ) {
    const r = await p;
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  }

  it('lists roster contacts with presence; a contact going offline keeps its list, marked offline', async () => {
    const bob = await connectClient(cleanup, prosody, 'bob', 'bob-pw');
    const online = await contactEvents.wait((c) => c.jid === prosody.jid('bob') && c.online, {
      what: 'bob online (event)',
    });
    expect(online).toEqual({
      jid: prosody.jid('bob'),
      name: 'bob',
      subscription: 'both',
      online: true,
      resources: ['test'],
      groups: ['Friends'], // the harness's roster group (Prosody mod_groups)
    });
    const { contacts } = await call(bus.request(xmpp.contacts, {}));
    expect(contacts).toEqual([online]);

    await bob.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml(
          'resource',
          { resource: 'test/engine-1' },
          xml('share_item', { hash: H1, name: 'song.ogg', size: '5' }),
          xml('ip_address', { address: '10.1.2.3', port: '7000' }),
        ),
      ),
    );
    const entry = async () => {
      const { contacts: lists } = await call(bus.request(xmpp.shares, {}));
      return lists.find((c) => c.jid === prosody.jid('bob'))?.resources[0];
    };
    expect(
      await waitFor(async () => (await entry())?.online === true && entry(), { what: 'bob’s list, online' }),
    ).toMatchObject({
      resource: 'test/engine-1',
      online: true,
      shares: [{ hash: H1, name: 'song.ogg', size: 5 }],
    });

    await bob.send(xml('presence', { type: 'unavailable' }));
    await contactEvents.wait((c) => c.jid === prosody.jid('bob') && !c.online, {
      what: 'bob offline (event)',
    });
    const kept = await waitFor(
      async () => {
        const e = await entry();
        return e && !e.online ? e : undefined;
      },
      { what: 'bob’s entry offline' },
    );
    expect(kept.shares).toEqual([{ hash: H1, name: 'song.ogg', size: 5 }]);
    expect(kept.endpoints).toEqual([{ address: '10.1.2.3', port: 7000 }]);
  });

  it('holds a subscription request until approved over NATS, then subscribes back', async () => {
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    const carolSees = await presences(carol);
    await carol.send(xml('presence', { to: prosody.jid('alice'), type: 'subscribe' }));
    const request = await requestEvents.wait((r) => r.jid === prosody.jid('carol'), {
      what: 'the request event',
    });
    expect((await call(bus.request(xmpp.subscriptions, {}))).pending).toEqual([request]);
    // Held, not answered: nothing from alice has reached carol (subscribed would come first).
    expect(carolSees.items.filter((p) => p.attrs.type === 'subscribed')).toEqual([]);

    expect(await call(bus.request(xmpp.approve, { jid: prosody.jid('carol') }))).toEqual({
      jid: prosody.jid('carol'),
      approved: true,
    });
    await carolSees.wait((p) => p.attrs.type === 'subscribed' && p.attrs.from === prosody.jid('alice'), {
      what: 'carol to be approved',
    });
    await carolSees.wait((p) => p.attrs.type === 'subscribe' && p.attrs.from === prosody.jid('alice'), {
      what: 'alice to subscribe back',
    });
    expect((await call(bus.request(xmpp.subscriptions, {}))).pending).toEqual([]);
  });

  it('denies a request over NATS; unknown JIDs are not found', async () => {
    const dave = await connectClient(cleanup, prosody, 'dave', 'dave-pw');
    const daveSees = await presences(dave);
    await dave.send(xml('presence', { to: prosody.jid('alice'), type: 'subscribe' }));
    await requestEvents.wait((r) => r.jid === prosody.jid('dave'), { what: 'dave’s request' });
    expect(await call(bus.request(xmpp.deny, { jid: prosody.jid('dave') }))).toEqual({
      jid: prosody.jid('dave'),
      approved: false,
    });
    await daveSees.wait((p) => p.attrs.type === 'unsubscribed' && p.attrs.from === prosody.jid('alice'), {
      what: 'dave to be refused',
    });
    const unknown = await bus.request(xmpp.approve, { jid: prosody.jid('nobody') });
    expect(unknown.ok ? unknown : unknown.error.code).toBe('not_found');
    const bad = await nc.request(subjects.xmpp.approve, new TextEncoder().encode('{"jid":"not a jid"}'));
    expect(bad.headers?.get('Nats-Service-Error-Code')).toBe('400');
  });

  it('approves automatically only when configured', async () => {
    const erinNats = await startNats(cleanup);
    const erin = await gateway('privacy-erin', 'erin', erinNats, { BITWEEN_XMPP_AUTO_APPROVE: 'true' });
    await xmppOnline(erin);
    const frank = await connectClient(cleanup, prosody, 'frank', 'frank-pw');
    const frankSees = await presences(frank);
    await frank.send(xml('presence', { to: prosody.jid('erin'), type: 'subscribe' }));
    await frankSees.wait((p) => p.attrs.type === 'subscribed' && p.attrs.from === prosody.jid('erin'), {
      what: 'frank to be approved automatically',
    });
  });
});
