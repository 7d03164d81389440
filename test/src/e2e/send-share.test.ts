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
  type TorrentsResult,
} from '../harness/index.js';
import { connectClient, xml, type TestClient } from '../harness/xmpp-client.js';

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
 * stranger's (mallory's) message creates no offer.
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
});
