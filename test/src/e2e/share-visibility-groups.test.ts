import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { Bus, EngineRegistry, fetchAllShares, ShareVisibilityStore } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  selfSignedCert,
  silentLogger,
  startEjabberd,
  startGateway,
  startNats,
  startProsody,
  waitFor,
  xmppOnline,
  type NatsServer,
  type Prosody,
} from '../harness/index.js';
import { connectClient, errorCondition, xml, type TestClient } from '../harness/xmpp-client.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const GROUP_PREFIX = 'urn:bitween:shares:0/group/';
const hashOf = (s: string) => createHash('sha1').update(s).digest('hex');
/** Seen by the group "family" only; later by "work" only. */
const X = { hash: hashOf('x'), name: 'family-photos', size: 1000 };
/** Seen by every contact. */
const Y = { hash: hashOf('y'), name: 'public-notes', size: 2000 };

interface Server {
  service: string;
  domain: string;
  jid(user: string): string;
}

/** Send an IQ and wait for its reply (result or error), matched by id. */
async function iq(who: TestClient, type: 'get' | 'set', to: string, child: Element): Promise<Element> {
  const id = `q${Math.random().toString(36).slice(2)}`;
  const reply = new Promise<Element>((resolve) => {
    const onStanza = (stanza: Element) => {
      if (stanza.is('iq') && stanza.attrs.id === id) {
        who.client.off('stanza', onStanza);
        resolve(stanza);
      }
    };
    who.client.on('stanza', onStanza);
  });
  await who.send(xml('iq', { type, to, id }, child));
  return reply;
}

/**
 * Per-group visibility, enforced by the XMPP server (Prosody 0.12 and ejabberd 23.01): alice has
 * bob in her roster group "family" and carol in "work", and shares X with "family" only, Y with
 * everyone. bob's bitween shows X and Y, carol's only Y; carol's own client, asking alice's server
 * directly for the group node, is refused and is never sent its items; alice's original-format
 * `current` item does not name X. Moving X to "work" moves it: carol sees it, bob no longer does.
 */
describe.each([
  ['Prosody', 'prosody'],
  ['ejabberd', 'ejabberd'],
] as const)('per-group visibility on %s', (_label, kind) => {
  const cleanup = new Cleanup();
  let server: Server;
  let visibility: ShareVisibilityStore;
  let aliceClient: TestClient;
  let carolClient: TestClient;
  let bobBus: Bus;
  let carolBus: Bus;
  /** Every pubsub event for a group node carol's own client was sent. */
  const carolGroupEvents: string[] = [];

  /** The hashes of alice's shares as `bus`'s gateway shows them. */
  const aliceShares = async (bus: Bus): Promise<string[] | null> => {
    const r = await fetchAllShares(bus);
    if (!r.ok) return null;
    const alice = r.value.find((c) => c.jid === server.jid('alice'));
    return alice ? alice.resources.flatMap((res) => res.shares.map((s) => s.hash)).sort() : null;
  };
  const sees = (bus: Bus, hashes: string[], what: string) =>
    waitFor(
      async () => {
        const got = await aliceShares(bus);
        return got !== null && JSON.stringify(got) === JSON.stringify([...hashes].sort()) ? got : null;
      },
      { what, timeoutMs: 90_000, intervalMs: 250 },
    );
  /** alice's group nodes as her own client lists them. */
  const groupNodes = async (): Promise<string[]> => {
    const reply = await iq(
      aliceClient,
      'get',
      server.jid('alice'),
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }),
    );
    return (reply.getChild('query')?.getChildren('item') ?? [])
      .map((i) => String(i.attrs.node ?? ''))
      .filter((n) => n.startsWith(GROUP_PREFIX));
  };
  const fetchNode = (who: TestClient, node: string) =>
    iq(who, 'get', server.jid('alice'), xml('pubsub', { xmlns: PUBSUB }, xml('items', { node })));

  beforeAll(async () => {
    const users = ['alice', 'bob', 'carol'];
    const accounts = users.map((user) => ({ user, password: `${user}-pw` }));
    const env: Record<string, string> = {
      BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '1000000', // these test servers have no rate limit
    };
    if (kind === 'prosody') {
      server = await startProsody(cleanup, { accounts, friends: users });
    } else {
      const dir = await makeTempDir('ejabberd-cert');
      cleanup.add('cert dir', () => removeTempDir(dir));
      const cert = await selfSignedCert(dir, 'localhost');
      server = await startEjabberd(cleanup, { accounts, friends: users, tls: cert });
      env.BITWEEN_XMPP_TLS_CA_FILE = cert.certFile;
      tls.setDefaultCACertificates([
        ...tls.getCACertificates('default'),
        await readFile(cert.certFile, 'utf8'),
      ]);
    }
    // alice's roster groups, set from another client of hers (as any XMPP client does).
    aliceClient = await connectClient(cleanup, server as Prosody, 'alice', 'alice-pw');
    for (const [user, group] of [
      ['bob', 'family'],
      ['carol', 'work'],
    ] as const) {
      const reply = await iq(
        aliceClient,
        'set',
        server.jid('alice'),
        xml(
          'query',
          { xmlns: 'jabber:iq:roster' },
          xml('item', { jid: server.jid(user) }, xml('group', {}, group)),
        ),
      );
      expect(errorCondition(reply)).toBeUndefined();
    }
    carolClient = await connectClient(cleanup, server as Prosody, 'carol', 'carol-pw');
    carolClient.client.on('stanza', (stanza: Element) => {
      const items = stanza.getChild('event', `${PUBSUB}#event`)?.getChild('items');
      const node = String(items?.attrs.node ?? '');
      if (node.startsWith(GROUP_PREFIX)) carolGroupEvents.push(stanza.toString());
    });

    const nats: NatsServer[] = await Promise.all(users.map(() => startNats(cleanup)));
    // X is restricted before alice's gateway ever publishes it (as the api does: its KV bucket).
    visibility = await ShareVisibilityStore.open(await nats[0]!.connect('api'), silentLogger);
    await visibility.set(X.hash, ['family']);
    const registry = await EngineRegistry.open(await nats[0]!.connect(), silentLogger);
    await registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '198.51.100.1', port: 7000 }],
      torrents: [X, Y],
      heartbeatMs: 600_000,
    });
    const gateways = await Promise.all(
      users.map((user, i) =>
        startGateway(cleanup, { label: `groups-${kind}-${user}`, nats: nats[i]!, server, user, env }),
      ),
    );
    await Promise.all(gateways.map((g) => xmppOnline(g)));
    bobBus = new Bus(await nats[1]!.connect(), silentLogger);
    carolBus = new Bus(await nats[2]!.connect(), silentLogger);
  });
  afterAll(() => cleanup.run());

  it('bob (family) sees X and Y; carol (work) sees only Y', async () => {
    await sees(bobBus, [X.hash, Y.hash], 'bob to see X and Y');
    await sees(carolBus, [Y.hash], 'carol to see Y');
    // (bob's list arrived through the same server: carol's gateway had every chance to read X too.)
    expect(await aliceShares(carolBus)).toEqual([Y.hash]);
  });

  it('the XEP-0498 node (read by any pubsub client) does not name X either', async () => {
    const items = () =>
      iq(
        carolClient,
        'get',
        server.jid('alice'),
        xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:xmpp:pubsub-file-sharing:0' })),
      );
    const reply = await waitFor(
      async () => {
        const r = await items();
        return r.toString().includes(Y.hash) ? r : null;
      },
      { what: 'Y on alice’s XEP-0498 node', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(reply.toString()).not.toContain(X.hash);
  });

  it('the original-format current item does not name X', async () => {
    const { payload } = await carolClient.sharesItem(server.jid('alice'));
    const hashes = (payload?.getChildren('resource') ?? []).flatMap((r) =>
      r.getChildren('share_item').map((s) => s.attrs.hash as string),
    );
    expect(hashes).toEqual([Y.hash]);
  });

  it('carol’s own client is refused the group node by the server, and was never sent its items', async () => {
    const nodes = await waitFor(async () => ((await groupNodes()).length === 1 ? groupNodes() : null), {
      what: 'alice’s one group node',
    });
    const node = nodes[0]!;
    const bobClient = await connectClient(cleanup, server as Prosody, 'bob', 'bob-pw');
    const bobReply = await fetchNode(bobClient, node);
    expect(errorCondition(bobReply)).toBeUndefined();
    expect(bobReply.toString()).toContain(X.hash);

    const carolReply = await fetchNode(carolClient, node);
    // Prosody: forbidden; ejabberd: not-allowed (closed-node).
    expect(['forbidden', 'not-allowed']).toContain(errorCondition(carolReply));
    expect(carolReply.toString()).not.toContain(X.hash);
    const subscribe = await iq(
      carolClient,
      'set',
      server.jid('alice'),
      xml('pubsub', { xmlns: PUBSUB }, xml('subscribe', { node, jid: server.jid('carol') })),
    );
    expect(['forbidden', 'not-allowed']).toContain(errorCondition(subscribe));
    expect(carolGroupEvents).toEqual([]);
  });

  it('bob taken out of "family" in alice’s roster loses X (refused by the server), put back he sees it again', async () => {
    const setGroup = async (group: string) => {
      const reply = await iq(
        aliceClient,
        'set',
        server.jid('alice'),
        xml(
          'query',
          { xmlns: 'jabber:iq:roster' },
          xml('item', { jid: server.jid('bob') }, xml('group', {}, group)),
        ),
      );
      expect(errorCondition(reply)).toBeUndefined();
    };
    await setGroup('neighbours');
    await sees(bobBus, [Y.hash], 'bob to lose X');
    const [node] = await groupNodes();
    const bobClient = await connectClient(cleanup, server as Prosody, 'bob', 'bob-pw');
    expect(['forbidden', 'not-allowed']).toContain(errorCondition(await fetchNode(bobClient, node!)));
    await setGroup('family');
    await sees(bobBus, [X.hash, Y.hash], 'bob to see X again');
  });

  it('moving X to "work" moves it: carol sees it, bob no longer does, and bob is refused the new node', async () => {
    const before = await groupNodes();
    await visibility.set(X.hash, ['work']);
    await sees(carolBus, [X.hash, Y.hash], 'carol to see X');
    await sees(bobBus, [Y.hash], 'bob to lose X');
    const nodes = await waitFor(
      async () => {
        const now = await groupNodes();
        return now.length === 1 && now[0] !== before[0] ? now : null;
      },
      { what: 'the family node replaced by the work node' },
    );
    const bobClient = await connectClient(cleanup, server as Prosody, 'bob', 'bob-pw');
    expect(['forbidden', 'not-allowed']).toContain(errorCondition(await fetchNode(bobClient, nodes[0]!)));
    expect(errorCondition(await fetchNode(carolClient, nodes[0]!))).toBeUndefined();
  });

  it('visible to every contact again: back on the original node for both', async () => {
    await visibility.set(X.hash, []);
    await sees(bobBus, [X.hash, Y.hash], 'bob to see X again');
    await sees(carolBus, [X.hash, Y.hash], 'carol to see X');
    await waitFor(async () => (await groupNodes()).length === 0, { what: 'alice’s group nodes deleted' });
  });
});
