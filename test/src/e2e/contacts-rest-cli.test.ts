import type { Contact as GatewayContact, ContactShares, PendingSubscription } from '@bitween/messages';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feed } from '../harness/index.js';
import {
  Cleanup,
  cli,
  runCli,
  RestError,
  startNode,
  startProsody,
  waitFor,
  xmppOnline,
  type BitweenNode,
  type Prosody,
} from '../harness/index.js';
import { connectClient, presences, xml, type TestClient } from '../harness/xmpp-client.js';

/*
 * Contacts and subscription requests through the REST api, its event stream and the `bitween`
 * CLI against a real node (nats-server, engine, gateway, api) and a real Prosody: strangers
 * (plain XMPP clients) ask to subscribe, the user approves or denies, the new friend's own
 * bitween gateway comes online and goes away.
 */

/** `/v1/contacts` adds the number of shares to the gateway's contact. */
type Contact = GatewayContact & { shares: number };
interface Page {
  lastId: number;
  events: { id: number; type: string; data: Record<string, unknown> }[];
}

describe('contacts and subscription requests through REST, events and the CLI', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let bob: BitweenNode;
  let eventsBefore = 0;

  const contacts = async () => (await bob.rest.get<{ contacts: Contact[] }>('/v1/contacts')).contacts;
  const pending = async () =>
    (await bob.rest.get<{ pending: PendingSubscription[] }>('/v1/subscriptions')).pending;
  const contact = async (jid: string) => (await contacts()).find((c) => c.jid === jid);

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['bob', 'carol', 'dave', 'erin'].map((user) => ({ user, password: `${user}-pw` })),
      friends: [], // nobody knows anybody: every friendship starts with a request
    });
    bob = await startNode(cleanup, { user: 'bob', password: 'bob-pw', prosody, name: 'contacts-bob' });
    await xmppOnline(bob.gateway);
    eventsBefore = (await bob.rest.get<Page>('/v1/events?timeout=0&limit=1')).lastId;
  });
  afterAll(() => cleanup.run());

  it('starts with no contacts and no requests', async () => {
    expect(await contacts()).toEqual([]);
    expect(await pending()).toEqual([]);
    expect((await cli(bob, 'contacts')).trim()).toBe('no contacts');
  });

  let carol: TestClient;
  let carolSees: Feed<Element>;

  it("a stranger's request is held: listed by GET /v1/subscriptions, the event stream and the CLI", async () => {
    carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    carolSees = await presences(carol);
    await carol.send(xml('presence', { to: bob.jid, type: 'subscribe' }));

    const held = await waitFor(async () => (await pending()).find((p) => p.jid === prosody.jid('carol')), {
      what: "carol's request at bob's api",
    });
    expect(held).toEqual({ jid: prosody.jid('carol'), receivedAt: expect.any(Number) as unknown });
    // The shape the real gateway sends is what the REST schema declares: nothing more.
    expect(Object.keys(held).sort()).toEqual(['jid', 'receivedAt']);

    const page = await bob.rest.get<Page>(`/v1/events?since=${eventsBefore}&timeout=0&limit=100`);
    const event = page.events.find((e) => e.type === 'xmpp.subscription-request');
    expect(event?.data).toEqual(held);

    const text = await cli(bob, 'contacts');
    expect(text).toContain('pending requests (bitween approve JID):');
    expect(text).toContain(`  ${prosody.jid('carol')}`);
    const listed = JSON.parse(await cli(bob, '--json', 'contacts')) as {
      contacts: Contact[];
      pending: PendingSubscription[];
    };
    expect(listed.pending).toEqual([held]);
    expect(listed.contacts.filter((c) => c.subscription !== 'none')).toEqual([]);
    // Held, not answered.
    expect(carolSees.items.filter((p) => p.attrs.type === 'subscribed')).toEqual([]);
    // Not a contact until approved (a roster entry without subscription at most).
    expect((await contact(prosody.jid('carol')))?.subscription ?? 'none').toBe('none');
  });

  it('approving through REST makes them friends both ways; carol shows online', async () => {
    expect(await bob.rest.post(`/v1/subscriptions/${prosody.jid('carol')}/approve`)).toEqual({
      jid: prosody.jid('carol'),
      approved: true,
    });
    await carolSees.wait((p) => p.attrs.type === 'subscribed' && p.attrs.from === bob.jid, {
      what: 'carol to be approved',
    });
    // bob subscribes back; carol (a user at a plain client) accepts.
    await carolSees.wait((p) => p.attrs.type === 'subscribe' && p.attrs.from === bob.jid, {
      what: 'bob to subscribe back',
    });
    await carol.send(xml('presence', { to: bob.jid, type: 'subscribed' }));

    const friend = await waitFor(
      async () => {
        const c = await contact(prosody.jid('carol'));
        return c?.subscription === 'both' && c.online ? c : undefined;
      },
      { what: 'carol a contact both ways, online' },
    );
    expect(friend).toEqual({
      jid: prosody.jid('carol'),
      name: null,
      subscription: 'both',
      online: true,
      resources: ['test'],
      groups: [],
      shares: 0,
    });
    expect(await pending()).toEqual([]);
    const page = await bob.rest.get<Page>(`/v1/events?since=${eventsBefore}&timeout=0&limit=1000`);
    expect(
      page.events.some(
        (e) =>
          e.type === 'xmpp.contact' &&
          e.data['jid'] === prosody.jid('carol') &&
          e.data['subscription'] === 'both' &&
          e.data['online'] === true,
      ),
    ).toBe(true);
  });

  it("the friend's own bitween comes online with its list, then goes offline when its gateway stops", async () => {
    await carol.client.stop(); // the plain client leaves; carol's bitween takes over
    await waitFor(async () => (await contact(prosody.jid('carol')))?.online === false, {
      what: 'carol offline once her client left',
    });
    const carolNode = await startNode(cleanup, {
      user: 'carol',
      password: 'carol-pw',
      prosody,
      name: 'contacts-carol',
    });
    const online = await waitFor(
      async () => {
        const c = await contact(prosody.jid('carol'));
        return c?.online && c.resources.includes('bitween') ? c : undefined;
      },
      { what: "carol's gateway online at bob" },
    );
    expect(online).toMatchObject({ subscription: 'both', resources: ['bitween'] });
    // Her list (endpoints only, no shares yet) arrived: bob's api has it.
    const list = await waitFor(
      async () =>
        bob.rest
          .get<ContactShares>(`/v1/contacts/${prosody.jid('carol')}/shares`)
          .then((l) => (l.resources.length > 0 ? l : undefined))
          .catch((err: unknown) => {
            if (err instanceof RestError && err.status === 404) return undefined;
            throw err;
          }),
      { what: "carol's list at bob" },
    );
    // Her engine's entry: its endpoints, no shares yet, online.
    expect(list).toEqual({
      jid: prosody.jid('carol'),
      receivedAt: expect.any(Number) as unknown,
      resources: [
        {
          resource: expect.stringMatching(/^bitween\//) as unknown,
          online: true,
          endpoints: expect.arrayContaining([expect.objectContaining({ address: '127.0.0.1' })]) as unknown,
          shares: [],
        },
      ],
    });
    expect(await cli(bob, 'contacts')).toMatch(
      new RegExp(`${prosody.jid('carol')} +yes \\(bitween\\) +0 +both`),
    );

    await carolNode.gateway.stop();
    const gone = await waitFor(
      async () => {
        const c = await contact(prosody.jid('carol'));
        return c && !c.online ? c : undefined;
      },
      { what: 'carol offline after her gateway stopped' },
    );
    expect(gone).toMatchObject({ subscription: 'both', online: false, resources: [] });
    expect(await cli(bob, 'contacts')).toMatch(new RegExp(`${prosody.jid('carol')} +no +0 +both`));
  });

  it('denying through REST refuses the stranger; an unknown JID is 404', async () => {
    const dave = await connectClient(cleanup, prosody, 'dave', 'dave-pw');
    const daveSees = await presences(dave);
    await dave.send(xml('presence', { to: bob.jid, type: 'subscribe' }));
    await waitFor(async () => (await pending()).some((p) => p.jid === prosody.jid('dave')), {
      what: "dave's request",
    });
    expect(await bob.rest.post(`/v1/subscriptions/${prosody.jid('dave')}/deny`)).toEqual({
      jid: prosody.jid('dave'),
      approved: false,
    });
    await daveSees.wait((p) => p.attrs.type === 'unsubscribed' && p.attrs.from === bob.jid, {
      what: 'dave to be refused',
    });
    expect(await pending()).toEqual([]);
    expect((await contact(prosody.jid('dave')))?.subscription ?? 'none').toBe('none');
    const again = await bob.rest
      .post(`/v1/subscriptions/${prosody.jid('dave')}/deny`)
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RestError);
    expect((again as RestError).status).toBe(404);
  });

  it('`bitween approve` approves a request from the command line', async () => {
    const erin = await connectClient(cleanup, prosody, 'erin', 'erin-pw');
    const erinSees = await presences(erin);
    await erin.send(xml('presence', { to: bob.jid, type: 'subscribe' }));
    await waitFor(async () => (await cli(bob, 'contacts')).includes(`  ${prosody.jid('erin')}`), {
      what: "erin's request in `bitween contacts`",
    });
    expect((await cli(bob, 'approve', prosody.jid('erin'))).trim()).toBe(`approved ${prosody.jid('erin')}`);
    await erinSees.wait((p) => p.attrs.type === 'subscribed' && p.attrs.from === bob.jid, {
      what: 'erin to be approved',
    });
    await erinSees.wait((p) => p.attrs.type === 'subscribe' && p.attrs.from === bob.jid, {
      what: 'bob to subscribe back to erin',
    });
    await erin.send(xml('presence', { to: bob.jid, type: 'subscribed' }));
    const both = await waitFor(
      async () => {
        const list = JSON.parse(await cli(bob, '--json', 'contacts')) as {
          contacts: Contact[];
          pending: PendingSubscription[];
        };
        const e = list.contacts.find((c) => c.jid === prosody.jid('erin'));
        return e?.subscription === 'both' && e.online ? list : undefined;
      },
      { what: 'erin a friend online in `bitween contacts --json`' },
    );
    expect(both.pending).toEqual([]);
    // The CLI refuses what the api refuses, with the api's message.
    expect(await runCli(bob, 'approve', prosody.jid('nobody'))).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/no pending subscription request/) as unknown,
    });
  });
});
