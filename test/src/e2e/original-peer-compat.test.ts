import { createHash } from 'node:crypto';
import { xmpp, type ContactShares } from '@bitween/messages';
import { Bus, EngineRegistry, fetchAllShares } from '@bitween/bus';
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
  type Ejabberd,
  type NatsServer,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml } from '../harness/xmpp-client.js';

const hashOf = (s: string) => createHash('sha1').update(s).digest('hex');

/**
 * Wire compatibility with an original-format peer, on the real servers where the bugs showed:
 * an original whose resource name is empty publishes `<resource/>` without the attribute, and
 * writes one address two ways (Prosody); a contact's item published before our login is not
 * always pushed by ejabberd, so the gateway fetches it once the contact is online.
 */
describe('an original-format peer on Prosody', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let nats: NatsServer;
  let alice: ServiceProcess;
  let bus: Bus;

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: [
        { user: 'alice', password: 'alice-pw' },
        { user: 'carol', password: 'carol-pw' },
      ],
      friends: ['alice', 'carol'],
    });
    nats = await startNats(cleanup);
    alice = await startGateway(cleanup, { label: 'compat-alice', nats, server: prosody, user: 'alice' });
    await xmppOnline(alice);
    bus = new Bus(await nats.connect(), silentLogger);
  });
  afterAll(() => cleanup.run());

  it('keeps the shares of a resource without a name, and ::1 written two ways is one endpoint', async () => {
    const hash = hashOf('carol 1');
    const registry = await EngineRegistry.open(bus.nc, silentLogger);
    // alice's engine holds the hash too: the gateway hands it carol's endpoints (xmpp.peers).
    await registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: [{ hash, name: 'mine.bin', size: 1 }],
      heartbeatMs: 600_000,
    });
    const peers: { address: string; port: number }[][] = [];
    bus.subscribe(xmpp.peers, (p) => {
      const entry = p.peers.find((x) => x.hash === hash);
      if (entry) peers.push(entry.endpoints.map(({ address, port }) => ({ address, port })));
    });
    const carol = await connectClient(cleanup, prosody, 'carol', 'carol-pw');
    await carol.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml(
          'resource',
          {}, // SleekXMPP drops an empty attribute: the original's resource name was ""
          xml('share_item', { hash, name: 'holiday.mkv', size: '734003200' }),
          xml('ip_address', { address: '::1', port: '8000' }),
          xml('ip_address', { address: '0:0:0:0:0:0:0:1', port: '8000' }),
        ),
      ),
    );
    const carolJid = prosody.jid('carol');
    let contact: ContactShares | undefined;
    await waitFor(
      async () => {
        const r = await fetchAllShares(bus);
        contact = r.ok ? r.value.find((c) => c.jid === carolJid) : undefined;
        return (contact?.resources.length ?? 0) > 0;
      },
      { what: 'carol’s list at alice’s gateway', timeoutMs: 60_000 },
    );
    expect(contact!.resources).toEqual([
      {
        resource: '',
        online: true, // carol has a resource online: the nameless entry is hers
        endpoints: [{ address: '::1', port: 8000 }],
        shares: [{ hash, name: 'holiday.mkv', size: 734003200 }],
      },
    ]);
    expect(alice.logs.some((l) => String(l.msg).includes('dropped invalid entries'))).toBe(false);
    await waitFor(() => peers.length > 0, { what: 'xmpp.peers with carol’s endpoint' });
    expect(peers.at(-1)).toEqual([{ address: '::1', port: 8000 }]);
  });
});

describe('against ejabberd: an item published before our login', () => {
  const cleanup = new Cleanup();
  let server: Ejabberd;
  let nats: NatsServer[];
  let certFile = '';

  const gateway = (user: string, natsUrl: string, label: string) =>
    startGateway(cleanup, {
      label,
      nats: { url: natsUrl },
      server,
      user,
      env: { BITWEEN_XMPP_TLS_CA_FILE: certFile },
    });

  beforeAll(async () => {
    const dir = await makeTempDir('ejabberd-cert');
    cleanup.add('cert dir', () => removeTempDir(dir));
    const tls = await selfSignedCert(dir, 'localhost');
    certFile = tls.certFile;
    server = await startEjabberd(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
      tls,
    });
    nats = await Promise.all([startNats(cleanup), startNats(cleanup)]);
  });
  afterAll(() => cleanup.run());

  it('reaches a gateway that logs in afterwards, every time', async () => {
    const nc = await nats[1]!.connect();
    const registry = await EngineRegistry.open(nc, silentLogger);
    await registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6882 }],
      torrents: Array.from({ length: 3 }, (_, i) => ({ hash: hashOf(`bob ${i}`), name: `b${i}`, size: 1 })),
      heartbeatMs: 600_000,
    });
    const bob = await gateway('bob', nats[1]!.url, 'compat-ejabberd-bob');
    await bob.waitForLog((l) => l.msg === 'published our share list' && l.shares === 3, {
      what: 'bob to publish',
    });
    // ejabberd missed the push in 6 of 10 logins (when it first learns our caps): each login
    // must get the list.
    for (let round = 1; round <= 4; round++) {
      const alice = await gateway('alice', nats[0]!.url, `compat-ejabberd-alice-${round}`);
      await alice.waitForLog(
        (l) => l.msg === 'received a share list' && l.from === server.jid('bob') && l.shares === 3,
        { what: `alice (login ${round}) to receive bob’s list`, timeoutMs: 60_000 },
      );
      // Not left to the push alone (the race is timing-dependent): the gateway read the item itself.
      await alice.waitForLog(
        (l) =>
          l.msg === 'fetched a contact’s current item' && l.jid === server.jid('bob') && l.published === true,
        {
          what: `alice (login ${round}) to fetch bob’s item`,
        },
      );
      await alice.stop();
    }
  });
});
