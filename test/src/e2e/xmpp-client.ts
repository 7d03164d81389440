import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { Feed, type Cleanup, type Prosody } from '../harness/index.js';

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
  };
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
