import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  cli,
  Feed,
  RestError,
  sha256File,
  shareRandomFile,
  startFriends,
  waitFor,
  waitForShare,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharedFile,
  type SharesResult,
  type TorrentsResult,
} from '../harness/index.js';
import { connectClient, errorCondition, xml, type TestClient } from '../harness/xmpp-client.js';

const NS_SFS = 'urn:xmpp:sfs:0';
interface Offer {
  id: string;
  from: string;
  hash: string;
  name: string;
  size: number;
  receivedAt: number;
  acceptedAt: number | null;
}

/**
 * A share sent to a friend (issue 20 item 4), with real Prosody, NATS and two bitween nodes:
 * alice sends bob one of her shares over XMPP (an XEP-0447 message with a plain-text body);
 * bob's api lists it as an offer (and its event stream announces it), accepting it downloads the
 * share from alice (bytes checked), the offer survives a restart of bob's gateway and is dismissed.
 * A plain XMPP client (carol) receives the same kind of message with the magnet in its body; a
 * stranger's (mallory's) message creates no offer. A share restricted to a roster group carol is
 * in is refused for bob (409 naming the group, over REST and the CLI; nothing reaches him) and sent
 * to carol.
 */
describe('sending a share to a friend', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;
  let carol: TestClient;
  const carolMessages = new Feed<Element>((m) => m.toString().slice(0, 300));
  let shared: SharedFile;
  let offer: Offer;

  const offers = async (node: BitweenNode) => (await node.rest.get<{ offers: Offer[] }>('/v1/offers')).offers;

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], {
      label: 'send-share',
      accounts: ['carol', 'mallory'],
      friends: ['carol'],
    }));
    carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    carol.client.on('stanza', (s: Element) => {
      if (s.is('message')) carolMessages.push(s);
    });
    await Promise.all([xmppOnline(alice.gateway), xmppOnline(bob.gateway)]);
    shared = await shareRandomFile(alice, 'sent to bob.bin', 3 * 1024 * 1024 + 17);
    // bob's gateway has alice's list (her endpoints) before she sends.
    await waitForShare(bob, alice, shared.hash);
  });
  afterAll(() => cleanup.run());

  it('alice sends; bob’s api lists the offer and his event stream announces it', async () => {
    const sent = await alice.rest.post<{ jid: string; hash: string; magnet: string }>(
      `/v1/contacts/${bob.jid}/send`,
      { hash: shared.hash },
    );
    expect(sent).toMatchObject({ jid: bob.jid, hash: shared.hash });
    expect(sent.magnet).toContain(`xt=urn:btih:${shared.hash}`);

    offer = await waitFor(async () => (await offers(bob)).find((o) => o.hash === shared.hash), {
      what: 'the offer at bob’s api',
      timeoutMs: 60_000,
    });
    expect(offer).toMatchObject({ from: alice.jid, name: shared.name, size: shared.size, acceptedAt: null });
    // The SHA-256 alice's engine computed, as her message states it.
    expect(offer).toMatchObject({ sha256: Buffer.from(shared.sha256, 'hex').toString('base64') });
    const { events } = await bob.rest.get<{ events: { type: string; data: Offer }[] }>(
      '/v1/events?since=0&timeout=0&limit=1000',
    );
    expect(events.filter((e) => e.type === 'offer.received').map((e) => e.data)).toContainEqual(offer);
    // The CLI lists it too.
    expect(JSON.parse(await cli(bob, '--json', 'offers'))).toEqual({ offers: [offer] });
    expect(await cli(bob, 'offers')).toContain(offer.id);
  });

  it('accepting it downloads the share from alice (bytes checked)', async () => {
    const accepted = await bob.rest.post<{ offer: Offer; added: { created: boolean } }>(
      `/v1/offers/${offer.id}/accept`,
    );
    expect(accepted.offer.acceptedAt).toEqual(expect.any(Number));
    expect(accepted.added.created).toBe(true);
    await waitFor(
      async () => {
        const { torrents } = await bob.rpc.result<TorrentsResult>('bt.get_torrents');
        return torrents.find((t) => t.hash === shared.hash)?.state === 'seeding';
      },
      { what: 'bob’s download of the offered share to complete', timeoutMs: 120_000 },
    );
    expect(await sha256File(join(bob.dirs.downloads, shared.name))).toBe(shared.sha256);
  });

  it('an offer for a hash bob already holds is ignored', async () => {
    await alice.rest.post(`/v1/contacts/${bob.jid}/send`, { hash: shared.hash });
    await bob.gateway.waitForLog(
      (l) => l.msg === 'ignored a share offer for a hash we already hold' && l.hash === shared.hash,
      { what: 'bob’s gateway to ignore an offer for a hash he holds' },
    );
    expect((await offers(bob)).filter((o) => o.hash === shared.hash)).toHaveLength(1);
  });

  it('a plain XMPP client gets the message: <file-sharing/> and a body with the magnet', async () => {
    // Sent with the CLI this time.
    const { magnet } = JSON.parse(await cli(alice, '--json', 'send', prosody.jid('carol'), shared.hash)) as {
      magnet: string;
    };
    const message = await carolMessages.wait((m) => m.getChild('file-sharing', NS_SFS) !== undefined, {
      what: 'carol’s client to receive alice’s share',
    });
    expect(message.attrs.type).toBe('chat');
    expect(message.getChildText('body')).toContain(magnet);
    expect(message.getChildText('body')).toContain(shared.name);
  });

  it('only contacts can be sent a share', async () => {
    await expect(
      alice.rest.post(`/v1/contacts/${prosody.jid('mallory')}/send`, { hash: shared.hash }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      alice.rest.post(`/v1/contacts/${bob.jid}/send`, { hash: 'e'.repeat(40) }),
    ).rejects.toBeInstanceOf(RestError);
  });

  it('a stranger’s message creates no offer', async () => {
    const mallory = await connectClient(cleanup, prosody, 'mallory', 'mallory-pw');
    const hash = 'd'.repeat(40);
    await mallory.send(
      xml(
        'message',
        { to: bob.jid, type: 'chat' },
        xml('body', {}, `magnet:?xt=urn:btih:${hash}`),
        xml(
          'file-sharing',
          { xmlns: NS_SFS },
          xml(
            'file',
            { xmlns: 'urn:xmpp:file:metadata:0' },
            xml('name', {}, 'free money.exe'),
            xml('size', {}, '1'),
          ),
          xml(
            'sources',
            {},
            xml('url-data', {
              xmlns: 'http://jabber.org/protocol/url-data',
              target: `magnet:?xt=urn:btih:${hash}&x.pe=127.0.0.1:22`,
            }),
          ),
        ),
      ),
    );
    await bob.gateway.waitForLog(
      (l) =>
        l.msg === 'ignored a share sent by someone we do not follow' && l.from === prosody.jid('mallory'),
      { what: 'bob’s gateway to ignore mallory’s share' },
    );
    expect((await offers(bob)).map((o) => o.from)).toEqual([alice.jid]);
  });

  it('offers survive a restart of the gateway; dismissed, they are gone', async () => {
    await bob.gateway.stop();
    await bob.restart('gateway');
    await xmppOnline(bob.gateway);
    expect(await offers(bob)).toEqual([expect.objectContaining({ id: offer.id, hash: shared.hash })]);
    await bob.rest.request('DELETE', `/v1/offers/${offer.id}`);
    expect(await offers(bob)).toEqual([]);
    await expect(bob.rest.request('DELETE', `/v1/offers/${offer.id}`)).rejects.toMatchObject({ status: 404 });
  });

  it('a share restricted to roster groups is sent only to their members', async () => {
    // alice puts carol in her roster group "close" (from another client of hers, as any XMPP
    // client does); bob is in no group. A new share is then seen by "close" only.
    const aliceClient = await connectClient(cleanup, prosody, 'alice', 'alice-pw');
    const set = await aliceClient.iqSet(
      alice.jid,
      xml(
        'query',
        { xmlns: 'jabber:iq:roster' },
        xml('item', { jid: prosody.jid('carol') }, xml('group', {}, 'close')),
      ),
    );
    expect(errorCondition(set)).toBeUndefined();
    await waitFor(
      async () =>
        (await alice.rest.get<{ groups: { name: string; contacts: number }[] }>('/v1/groups')).groups.some(
          (g) => g.name === 'close' && g.contacts === 1,
        ),
      { what: 'alice’s gateway to know carol is in "close"' },
    );
    const secret = await shareRandomFile(alice, 'for close friends.bin', 64 * 1024);
    const open = await shareRandomFile(alice, 'for everyone.bin', 64 * 1024);
    await waitForShare(bob, alice, secret.hash);
    await alice.rest.request('PUT', `/v1/torrents/${secret.hash}/visibility`, { groups: ['close'] });
    // alice's gateway follows the visibility: bob no longer sees the share.
    await waitFor(
      async () => {
        const { shares } = await bob.rpc.result<SharesResult>('xmpp.get_shares');
        const hashes = Object.values(shares[alice.jid] ?? {}).flatMap((r) => Object.keys(r.shares));
        return hashes.includes(open.hash) && !hashes.includes(secret.hash);
      },
      { what: 'bob to no longer see the restricted share', timeoutMs: 60_000 },
    );

    // To bob (in none of its groups): refused, over REST and the CLI, naming the group.
    const refused = await alice.rest.post(`/v1/contacts/${bob.jid}/send`, { hash: secret.hash }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RestError);
    expect(refused).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect((refused as RestError).message).toContain('"close"');
    await expect(cli(alice, 'send', bob.jid, secret.hash)).rejects.toThrow(/"close"/);
    // Nothing was sent: a share sent after the refusals is the only new offer at bob's.
    await alice.rest.post(`/v1/contacts/${bob.jid}/send`, { hash: open.hash });
    await waitFor(async () => (await offers(bob)).some((o) => o.hash === open.hash), {
      what: 'the unrestricted share’s offer at bob’s api',
      timeoutMs: 60_000,
    });
    expect((await offers(bob)).map((o) => o.hash)).not.toContain(secret.hash);

    // To carol (in "close"): sent.
    const { magnet } = await alice.rest.post<{ magnet: string }>(
      `/v1/contacts/${prosody.jid('carol')}/send`,
      {
        hash: secret.hash,
      },
    );
    const message = await carolMessages.wait(
      (m) => (m.getChildText('body') ?? '').includes(`xt=urn:btih:${secret.hash}`),
      { what: 'carol’s client to receive the restricted share' },
    );
    expect(message.getChildText('body')).toContain(magnet);
  });
});
