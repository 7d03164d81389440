import { createHash } from 'node:crypto';
import { EngineRegistry } from '@bitween/bus';
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

const SHARES = 2_000;

/**
 * The same gateway against ejabberd (23.01, apt): STARTTLS (required) and direct TLS with a
 * self-signed certificate trusted explicitly, SCRAM-SHA-256, PEP caps/notify, and a list larger
 * than ejabberd's 64 KiB stanza limit going through in buckets.
 */
describe('against ejabberd', () => {
  const cleanup = new Cleanup();
  let server: Ejabberd;
  let nats: NatsServer[];
  let alice: ServiceProcess;
  let bob: ServiceProcess;

  beforeAll(async () => {
    const dir = await makeTempDir('ejabberd-cert');
    cleanup.add('cert dir', () => removeTempDir(dir));
    const tls = await selfSignedCert(dir, 'localhost');
    server = await startEjabberd(cleanup, {
      accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'bob'],
      tls,
    });
    nats = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    const gateway = (user: string, i: number, service: string) =>
      startGateway(cleanup, {
        label: `ejabberd-${user}`,
        nats: nats[i]!,
        server,
        user,
        service,
        env: {
          BITWEEN_XMPP_TLS_CA_FILE: tls.certFile,
          BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '10000000', // this server has no rate limit (bench/ measures the stock ones)
        },
      });
    [alice, bob] = await Promise.all([
      gateway('alice', 0, server.service),
      gateway('bob', 1, server.directTlsService),
    ]);
  });
  afterAll(() => cleanup.run());

  it('logs in over STARTTLS and direct TLS with SCRAM-SHA-256', async () => {
    for (const g of [alice, bob]) {
      await xmppOnline(g);
      expect(g.logs.find((l) => l.msg === 'authenticating')).toMatchObject({
        mechanism: 'SCRAM-SHA-256',
        tls: true,
      });
    }
  });

  it('a friend receives a list larger than the server’s stanza limit', async () => {
    const nc = await nats[0]!.connect();
    const registry = await EngineRegistry.open(nc, silentLogger);
    await registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: Array.from({ length: SHARES }, (_, i) => ({
        hash: createHash('sha1').update(`e ${i}`).digest('hex'),
        name: `file-${i}.bin`,
        size: i + 1,
      })),
      heartbeatMs: 600_000,
    });
    const published = await alice.waitForLog(
      (l) => l.msg === 'published our share list' && l.shares === SHARES,
      {
        what: 'alice to publish',
      },
    );
    expect(published.buckets).toBeGreaterThan(0);
    await bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === server.jid('alice') && l.shares === SHARES,
      { what: 'bob to receive the whole list' },
    );
    expect(alice.logs.some((l) => l.msg === 'XMPP disconnected, reconnecting')).toBe(false);
  });
});
