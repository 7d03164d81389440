import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import { EngineRegistry, ShareVisibilityStore } from '@bitween/bus';
import { client, xml } from '@xmpp/client';
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
  xmppOnline,
  type Ejabberd,
  type NatsServer,
  type ServiceProcess,
} from '../harness/index.js';

const CHECK_MS = 2_000;
const CHANGED = 'a contact’s list changed and no notification told us: read it again';
const GROUPS_CHANGED = 'a contact’s group lists changed and no notification told us: read them again';

const share = (i: number) => ({
  hash: createHash('sha1').update(`missed ${i}`).digest('hex'),
  name: `file-${i}.bin`,
  size: i + 1,
});

/**
 * ejabberd 23.01 pushes none of an account's PEP changes to its contacts while one of that
 * account's sessions has sent no presence (issue 20). bob's gateway checks his online bitween
 * contacts' lists every BITWEEN_XMPP_LIST_CHECK_MS (here 2 s): alice's change, published while
 * a presence-less session of hers is connected, reaches bob through that check alone.
 */
describe('a friend’s change the server does not push (ejabberd, a presence-less session of hers)', () => {
  const cleanup = new Cleanup();
  let server: Ejabberd;
  let nats: NatsServer;
  let alice: ServiceProcess;
  let bob: ServiceProcess;
  let registry: EngineRegistry;
  let certFile: string;
  /** alice's presence-less session (from the first test on). */
  let quietIq: { request(el: Element): Promise<Element> };

  beforeAll(async () => {
    const dir = await makeTempDir('ejabberd-cert');
    cleanup.add('cert dir', () => removeTempDir(dir));
    const cert = await selfSignedCert(dir, 'localhost');
    certFile = cert.certFile;
    server = await startEjabberd(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
      tls: cert,
    });
    const [aliceNats, bobNats] = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    nats = aliceNats;
    const gateway = (user: string, n: NatsServer, env: Record<string, string>) =>
      startGateway(cleanup, {
        label: `missed-${user}`,
        nats: n,
        server,
        user,
        env: {
          BITWEEN_XMPP_TLS_CA_FILE: cert.certFile,
          BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '10000000', // this server has no rate limit
          ...env,
        },
      });
    [alice, bob] = await Promise.all([
      gateway('alice', aliceNats, { BITWEEN_XMPP_LIST_CHECK_MS: '0' }),
      gateway('bob', bobNats, { BITWEEN_XMPP_LIST_CHECK_MS: String(CHECK_MS) }),
    ]);
    await Promise.all([xmppOnline(alice), xmppOnline(bob)]);
    const nc = await nats.connect();
    cleanup.add('nats client', () => nc.close());
    registry = await EngineRegistry.open(nc, silentLogger);
  });
  afterAll(() => cleanup.run());

  const announce = (shares: number) =>
    registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: Array.from({ length: shares }, (_, i) => share(i)),
      heartbeatMs: 600_000,
    });
  const bobHas = (shares: number) =>
    bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === server.jid('alice') && l.shares === shares,
      { what: `bob to hold alice’s list of ${shares}`, timeoutMs: 60_000 },
    );

  it('bob gets alice’s change through the periodic check of her list', async () => {
    // Without the quirk: pushed as usual.
    await announce(1);
    await bobHas(1);

    // A session of alice's account that sends no presence (a client that has not finished
    // logging in, a tool): from now on ejabberd pushes bob none of alice's PEP changes.
    const pem = await readFile(certFile, 'utf8');
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), pem]);
    const quiet = client({
      service: server.service,
      domain: server.domain,
      username: 'alice',
      password: 'alice-pw',
      resource: 'quiet',
    });
    quiet.on('error', () => undefined);
    await quiet.start();
    cleanup.add('alice’s presence-less session', () => quiet.stop());
    quietIq = (quiet as unknown as { iqCaller: typeof quietIq }).iqCaller;

    await announce(2);
    await alice.waitForLog((l) => l.msg === 'published our share list' && l.shares === 2, {
      what: 'alice to publish her second share',
    });
    await bobHas(2);
    // It came through the check (no notification was pushed; a push would have been read first
    // and left the check nothing to find).
    const found = bob.logs.find((l) => l.msg === CHANGED && l.from === server.jid('alice'));
    expect(found).toBeDefined();
    const foundAt = String(found?.['time']); // ISO 8601, in order as strings
    // Unchanged lists cost one fetch of their item, and no read.
    await bob.waitForLog(
      (l) =>
        l.msg === 'checked a contact’s list: unchanged' &&
        l.jid === server.jid('alice') &&
        String(l['time']) > foundAt,
      { what: 'bob to find alice’s list unchanged at a later check' },
    );
  });

  it('a list in buckets: the check reads the index, then only the bucket that changed', async () => {
    // 300 shares (over 8 KiB): buckets and an index. bob last read a whole `current`: he finds
    // the marker in it and reads the index and the buckets.
    await announce(300);
    await bobHas(300);
    const changed = (node: string) =>
      bob.logs.filter((l) => l.msg === CHANGED && l.from === server.jid('alice') && l['node'] === node);
    expect(changed('current').length).toBeGreaterThanOrEqual(2);
    // One share more changes one bucket: the check fetches the index, and only that bucket.
    const before = bob.logs.length;
    await announce(301);
    await bobHas(301);
    expect(changed('index')).toHaveLength(1);
    const read = bob.logs
      .slice(before)
      .find((l) => l.msg === 'read a list from its buckets' && l.from === server.jid('alice'));
    expect(read).toMatchObject({ buckets: 2, fetched: 1 });
  });

  it('a list that shrinks back into `current` alone: its old index goes, and the check reads `current`', async () => {
    // (After the test above: bob last read alice's list from its index.)
    const before = bob.logs.length;
    await announce(3);
    await alice.waitForLog((l) => l.msg === 'published our share list' && l.shares === 3, {
      what: 'alice to publish her list of three shares',
    });
    // The check finds the index gone and reads `current` (a stale index would look unchanged).
    await bobHas(3);
    const found = bob.logs.slice(before).find((l) => l.msg === CHANGED && l.from === server.jid('alice'));
    expect(found).toMatchObject({ node: 'current' });
    // What any reader finds on alice's index node and buckets now: nothing.
    const reader = client({
      service: server.service,
      domain: server.domain,
      username: 'bob',
      password: 'bob-pw',
      resource: 'reader',
    });
    reader.on('error', () => undefined);
    await reader.start();
    cleanup.add('bob’s plain client', () => reader.stop());
    const iq = (reader as unknown as { iqCaller: typeof quietIq }).iqCaller;
    const items = async (node: string) => {
      try {
        const reply = await iq.request(
          xml(
            'iq',
            { type: 'get', to: server.jid('alice') },
            xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node })),
          ),
        );
        return reply.getChild('pubsub')?.getChild('items')?.getChildren('item').length ?? 0;
      } catch (err) {
        if ((err as { condition?: string }).condition === 'item-not-found') return 0;
        throw err;
      }
    };
    expect(await items('urn:bitween:shares:0/index')).toBe(0);
    expect(await items('urn:bitween:shares:0/bucket/0')).toBe(0);
    expect(await items('urn:bitween:shares:0/bucket/1')).toBe(0);
  });

  it('a share made visible to a group of bob’s only: the check reads alice’s group lists too', async () => {
    // alice puts bob in her roster group "family" (through her presence-less session: her
    // changes are still not pushed) and shows share 0 to "family" only: it leaves her list for
    // everyone and goes to a group node, announced by her group signal, which is not pushed either.
    const roster = await quietIq.request(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'query',
          { xmlns: 'jabber:iq:roster' },
          xml('item', { jid: server.jid('bob') }, xml('group', {}, 'family')),
        ),
      ),
    );
    expect(roster.attrs.type).toBe('result');
    const visibility = await ShareVisibilityStore.open(await nats.connect('api'), silentLogger);
    await visibility.set(share(0).hash, ['family']);
    await alice.waitForLog((l) => l.msg === 'published our share list' && l.shares === 2, {
      what: 'alice’s list for everyone to lose share 0',
    });
    await bob.waitForLog(
      (l) => l.msg === 'received group share lists' && l.from === server.jid('alice') && l.shares === 1,
      { what: 'bob to read alice’s group list of share 0', timeoutMs: 60_000 },
    );
    expect(bob.logs.some((l) => l.msg === GROUPS_CHANGED && l.from === server.jid('alice'))).toBe(true);
    // bob holds all three: two for every contact, one through the group.
    await bobHas(3);
  });
});
