import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { Cleanup } from './cleanup.js';
import type { Prosody } from './prosody.js';
import { Feed } from './wait.js';

export { xml };
export const NS_SHARES = 'https://xmpp.kwoh.de/protocol/shares';

/** A plain XMPP client for a test user (a contact that misbehaves, a stranger…). */
export interface TestClient {
  client: Client;
  /** Publish `payload` as item "current" of our shares PEP node. */
  publish(payload: Element): Promise<void>;
  send(stanza: Element): Promise<void>;
  /** Fetch the roster: the server then sends this resource subscription stanzas too ("interested"). */
  requestRoster(): Promise<void>;
  /** Send an IQ set with `child` to `to`; resolves with the reply stanza (result or error: see `errorCondition`). */
  iqSet(to: string, child: Element): Promise<Element>;
  /** The same with an IQ get (e.g. pubsub items of a node: a plain client reading it). */
  iqGet(to: string, child: Element): Promise<Element>;
  /**
   * The item `jid` publishes on the original's shares node, as a contact fetches it (pubsub
   * items): its id (`current`) and `<user_shares/>` payload; undefined parts when there is none.
   */
  sharesItem(jid: string): Promise<{ id: string | undefined; payload: Element | undefined }>;
}

interface IqCaller {
  request(el: Element, timeout?: number): Promise<Element>;
}

export async function connectClient(
  cleanup: Cleanup,
  prosody: Prosody,
  user: string,
  password: string,
): Promise<TestClient> {
  const c = client({
    service: prosody.service,
    domain: prosody.domain,
    username: user,
    password,
    resource: 'test',
  });
  c.on('error', () => undefined);
  await c.start();
  cleanup.add(`xmpp client ${user}`, () => c.stop());
  await c.send(xml('presence'));
  const iq = (c as unknown as { iqCaller: IqCaller }).iqCaller;
  return {
    client: c,
    publish: async (payload) => {
      await iq.request(
        xml(
          'iq',
          { type: 'set' },
          xml(
            'pubsub',
            { xmlns: 'http://jabber.org/protocol/pubsub' },
            xml('publish', { node: NS_SHARES }, xml('item', { id: 'current' }, payload)),
          ),
        ),
      );
    },
    send: (stanza) => c.send(stanza),
    requestRoster: async () => {
      await iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    },
    sharesItem: async (jid) => {
      const reply = await iq.request(
        xml(
          'iq',
          { type: 'get', to: jid },
          xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NS_SHARES })),
        ),
      );
      const item = reply.getChild('pubsub')?.getChild('items')?.getChild('item');
      return { id: item?.attrs.id as string | undefined, payload: item?.getChild('user_shares', NS_SHARES) };
    },
    iqSet: (to, child) => rawIq(c, 'set', to, child),
    iqGet: (to, child) => rawIq(c, 'get', to, child),
  };
}

/** An IQ matched by id: resolves with the reply, a result or an error (see `errorCondition`). */
async function rawIq(c: Client, type: 'get' | 'set', to: string, child: Element): Promise<Element> {
  const id = `t${Math.random().toString(36).slice(2)}`;
  const reply = new Promise<Element>((resolve) => {
    const onStanza = (s: Element) => {
      if (s.is('iq') && s.attrs.id === id) {
        c.off('stanza', onStanza);
        resolve(s);
      }
    };
    c.on('stanza', onStanza);
  });
  await c.send(xml('iq', { type, to, id }, child));
  return reply;
}

/** The defined condition of an IQ error reply (`not-authorized`, …); undefined for a result. */
export function errorCondition(reply: Element): string | undefined {
  return reply
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

/**
 * A WebRTC offer as @roamhq/wrtc writes one, with a host candidate per `[address, port]` (for
 * rendezvous signalling tests: the gateways strip some, the engine answers it).
 */
export function sdpOffer(candidates: [string, number][]): string {
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    ...candidates.map(
      ([address, port], i) =>
        `a=candidate:${i + 1} 1 udp ${2122260223 - i} ${address} ${port} typ host generation 0`,
    ),
    'a=ice-ufrag:Wb1P',
    'a=ice-pwd:2Q5pYxNnq4xN4UJ1Xn3A8x0n',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 8C:1B:7F:2E:D8:1F:06:3A:9B:5E:43:6D:6E:07:3C:2C:92:8E:61:3A:9C:5E:06:2D:48:2A:D4:93:0B:0D:4A:93',
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join('\r\n');
}

/** Presence stanzas a test client receives (it asks for its roster: subscription stanzas go only to such resources). */
export async function presences(client: TestClient): Promise<Feed<Element>> {
  const feed = new Feed<Element>((e) => e.toString());
  client.client.on('stanza', (s: Element) => {
    if (s.is('presence')) feed.push(s);
  });
  await client.requestRoster();
  return feed;
}
