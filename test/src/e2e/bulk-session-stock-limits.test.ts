import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
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
  startProsody,
  xmppOnline,
  type LogLine,
  type ServiceProcess,
  type XmppServer,
} from '../harness/index.js';

const SHARES = 1_000;
const share = (i: number) => ({
  hash: createHash('sha1').update(`bulk ${i}`).digest('hex'),
  name: `file-${i}.bin`,
  size: i + 1,
});

/** Each server with Debian's stock c2s rate limits (as bench/xmpp-share-list.bench.ts). */
const servers: {
  name: string;
  start: (cleanup: Cleanup, users: string[]) => Promise<{ server: XmppServer; env: Record<string, string> }>;
}[] = [
  {
    name: 'Prosody 0.12, mod_limits c2s = 10kb/s',
    start: async (cleanup, users) => {
      const server = await startProsody(cleanup, {
        accounts: users.map((user) => ({ user, password: `${user}-pw` })),
        friends: users,
        modules: ['limits', 'version'],
        extraConfig: 'limits = { c2s = { rate = "10kb/s"; }; }\n',
      });
      return { server, env: {} };
    },
  },
  {
    name: 'ejabberd 23.01, shaper 3000 B/s',
    start: async (cleanup, users) => {
      const dir = await makeTempDir('bulk-ejabberd-cert');
      cleanup.add('cert dir', () => removeTempDir(dir));
      const cert = await selfSignedCert(dir, 'localhost');
      tls.setDefaultCACertificates([
        ...tls.getCACertificates('default'),
        await readFile(cert.certFile, 'utf8'),
      ]);
      const server = await startEjabberd(cleanup, {
        accounts: users.map((user) => ({ user, password: `${user}-pw` })),
        friends: users,
        tls: cert,
        stockLimits: true,
      });
      return { server, env: { BITWEEN_XMPP_TLS_CA_FILE: cert.certFile } };
    },
  },
];

/**
 * The bulk session (xmpp/bulk-session.ts) against real servers with stock rate limits: alice's
 * `current` (the original-format item, ~49 kB, read by the server at its rate for seconds) goes
 * out through her presence-less second session, and a change she makes meanwhile reaches bob,
 * pushed by the server (bob's periodic list check is off), before `current` is stored. On
 * ejabberd this also shows the presence-less session does not stop its PEP notifications.
 */
describe.each(servers)('the bulk session on $name', ({ start }) => {
  const cleanup = new Cleanup();
  let alice: ServiceProcess;
  let bob: ServiceProcess;
  let registry: EngineRegistry;
  let server: XmppServer;

  beforeAll(async () => {
    const world = await start(cleanup, ['alice', 'bob']);
    server = world.server;
    const [aliceNats, bobNats] = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    [alice, bob] = await Promise.all([
      startGateway(cleanup, {
        label: 'bulk-alice',
        nats: aliceNats,
        server,
        user: 'alice',
        env: { ...world.env, BITWEEN_XMPP_BULK_SESSION: 'on' },
      }),
      startGateway(cleanup, {
        label: 'bulk-bob',
        nats: bobNats,
        server,
        user: 'bob',
        env: { ...world.env, BITWEEN_XMPP_LIST_CHECK_MS: '0' },
      }),
    ]);
    await Promise.all([xmppOnline(alice), xmppOnline(bob)]);
    const nc = await aliceNats.connect();
    cleanup.add('nats client', () => nc.close());
    registry = await EngineRegistry.open(nc, silentLogger);
  }, 120_000);
  afterAll(() => cleanup.run());

  const announce = (torrents: ReturnType<typeof share>[]) =>
    registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents,
      heartbeatMs: 600_000,
    });
  const after = (p: ServiceProcess, line: LogLine) => (l: LogLine) =>
    p.logs.indexOf(l) > p.logs.indexOf(line);

  it('a change reaches the friend while `current` still goes out through the bulk session', async () => {
    const bulkOnline = await alice.waitForLog(
      (l) => l.msg === 'bulk session online: bulk publishing goes through it',
      {
        what: 'alice’s bulk session online',
      },
    );
    expect(String(bulkOnline.resource)).toMatch(/^!bulk-[0-9a-f]{8}$/);

    const list = Array.from({ length: SHARES }, (_, i) => share(i));
    await announce(list);
    await bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === server.jid('alice') && l.shares === SHARES,
      { what: `bob to hold alice’s ${SHARES} shares`, timeoutMs: 180_000 },
    );
    // Once the list is quiet, `current` goes out through the bulk session.
    const writing = await alice.waitForLog(
      (l) => l.msg === 'writing our original-format item' && l.via === 'bulk',
      { what: 'alice to write `current` through the bulk session', timeoutMs: 180_000 },
    );

    // The change, the moment `current` starts going out.
    await announce([...list, share(SHARES)]);
    const received = await bob.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === server.jid('alice') && l.shares === SHARES + 1,
      { what: 'bob to hold alice’s changed list (pushed: his list check is off)', timeoutMs: 60_000 },
    );
    const stored = await alice.waitForLog(
      (l) => l.msg === 'published our original-format item' && l.via === 'bulk' && after(alice, writing)(l),
      { what: 'the server to store that `current`', timeoutMs: 120_000 },
    );
    // bob had the change before the server had finished reading `current` (ISO times, one clock).
    expect(String(received.time) < String(stored.time)).toBe(true);
    // The change itself went through the main session: its publish never waited for `current`.
    const change = alice.logs.find(
      (l) => l.msg === 'published our share list' && l.shares === SHARES + 1 && after(alice, writing)(l),
    );
    expect(change).toBeDefined();
    expect(String(change!.time) < String(stored.time)).toBe(true);
  });
});
