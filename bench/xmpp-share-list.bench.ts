import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { xmpp, type EngineState } from '@bitween/messages';
import { Bus, EngineRegistry } from '@bitween/bus';
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  selfSignedCert,
  silentLogger,
  startEjabberd,
  startNats,
  startProsody,
  startService,
  type ServiceProcess,
} from '../test/src/harness/index.js';

/**
 * Share lists against the servers' stock rate limits (the values of Debian 12's
 * /etc/prosody/prosody.cfg.lua and /etc/ejabberd/ejabberd.yml: Prosody 0.12 mod_limits
 * `c2s = 10kb/s` (burst 2 s), ejabberd 23.01 `shaper: normal` 3000 B/s, burst 20,000,
 * max_stanza_size 262144), through real gateways and NATS (the engine state is written to the
 * registry directly). Measured per server:
 * - first publish of 1,000 and of 10,000 shares: registry → the friend's gateway has the whole
 *   list, and the bytes and stanzas alice sent;
 * - one change of the 10,000-share list → the friend (goal < 2 s): right after the first publish,
 *   after the account was idle for a while, and right after alice started writing `current` (the
 *   original-format item, ~49 kB, written once the list is quiet: the worst case);
 * - a presence's latency: alice approves a subscription (her gateway sends `subscribed`) while
 *   idle and while the first publish of 10,000 shares runs; the subscriber's client times it.
 *
 *   npm run bench:xmpp
 *
 * Options (environment): BENCH_XMPP_SERVERS=prosody or ejabberd (default both, one after the
 * other; each takes ~4-6 min); BITWEEN_XMPP_BULK_SESSION=on (default here) or off, passed to
 * the gateways (their bulk session, xmpp/bulk-session.ts).
 */
const GOAL_MS = 2_000;
const IDLE_MS = 20_000;

type Row = Record<string, string | number>;

const hashOf = (tag: string, i: number) => createHash('sha1').update(`${tag}/${i}`).digest('hex');
const torrents = (tag: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    hash: hashOf(tag, from + i),
    name: `video-${from + i}.mkv`,
    size: 1_000_000 + from + i,
  }));

interface World {
  label: string;
  service: string;
  domain: string;
  jid(user: string): string;
  caFile?: string;
}

async function startWorld(cleanup: Cleanup, kind: 'prosody' | 'ejabberd'): Promise<World> {
  const accounts = ['alice', 'bob', 'dave', 'erin'].map((user) => ({ user, password: `${user}-pw` }));
  if (kind === 'prosody') {
    const prosody = await startProsody(cleanup, {
      accounts,
      friends: ['alice', 'bob'],
      modules: ['limits', 'version'],
      // Debian 12's stock values (prosody.cfg.lua), and its stanza size limit (mod_c2s default).
      extraConfig: 'limits = { c2s = { rate = "10kb/s"; }; s2sin = { rate = "30kb/s"; }; }\n',
    });
    return {
      label: 'Prosody 0.12 (stock limits)',
      service: prosody.service,
      domain: prosody.domain,
      jid: prosody.jid,
    };
  }
  const dir = await makeTempDir('bench-ejabberd-cert');
  cleanup.add('cert dir', () => removeTempDir(dir));
  const cert = await selfSignedCert(dir, 'localhost');
  tls.setDefaultCACertificates([
    ...tls.getCACertificates('default'),
    await import('node:fs/promises').then((f) => f.readFile(cert.certFile, 'utf8')),
  ]);
  const server = await startEjabberd(cleanup, {
    accounts,
    friends: ['alice', 'bob'],
    tls: cert,
    stockLimits: true,
  });
  return {
    label: 'ejabberd 23.01 (stock limits)',
    service: server.service,
    domain: server.domain,
    jid: server.jid,
    caFile: cert.certFile,
  };
}

/** A plain client that asks alice for a subscription and reports when she approves it. */
async function subscriber(cleanup: Cleanup, world: World, user: string) {
  const c = client({
    service: world.service,
    domain: world.domain,
    username: user,
    password: `${user}-pw`,
    resource: 'bench',
  });
  c.on('error', () => undefined);
  let approved: (at: number) => void = () => undefined;
  const approval = new Promise<number>((resolve) => (approved = resolve));
  c.on('stanza', (s: Element) => {
    if (s.is('presence') && s.attrs.type === 'subscribed') approved(performance.now());
  });
  await c.start();
  cleanup.add(`client ${user}`, () => c.stop());
  // Ask for the roster first: servers send subscription stanzas only to such ("interested") resources.
  const iq = (c as unknown as { iqCaller: { request(el: Element): Promise<Element> } }).iqCaller;
  await iq.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  await c.send(xml('presence'));
  await c.send(xml('presence', { to: world.jid('alice'), type: 'subscribe' }));
  return { approval };
}

async function benchServer(kind: 'prosody' | 'ejabberd', rows: Row[]): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const world = await startWorld(cleanup, kind);
    const nats = await Promise.all([startNats(cleanup), startNats(cleanup)]);
    const gateway = (user: string, i: number) =>
      startService(cleanup, {
        name: 'xmpp-gateway',
        label: `bench-${kind}-${user}`,
        env: {
          BITWEEN_NATS_URL: nats[i]!.url,
          BITWEEN_LOG_LEVEL: 'debug',
          BITWEEN_XMPP_JID: world.jid(user),
          BITWEEN_XMPP_PASSWORD: `${user}-pw`,
          BITWEEN_XMPP_SERVICE: world.service,
          ...(world.caFile ? { BITWEEN_XMPP_TLS_CA_FILE: world.caFile } : {}),
          BITWEEN_XMPP_BULK_SESSION: process.env.BITWEEN_XMPP_BULK_SESSION ?? 'on',
        },
      });
    const [alice, bob] = (await Promise.all([gateway('alice', 0), gateway('bob', 1)])) as [
      ServiceProcess,
      ServiceProcess,
    ];
    await Promise.all(
      [alice, bob].map((g) => g.waitForLog((l) => l.msg === 'XMPP online', { what: 'online' })),
    );
    const pace = await alice.waitForLog(
      (l) =>
        String(l.msg).startsWith('pacing bulk sending') ||
        String(l.msg).startsWith('server software unknown'),
      { what: 'alice’s pace' },
    );
    const nc = await nats[0]!.connect();
    cleanup.add('nats', () => nc.close());
    const bus = new Bus(nc, silentLogger);
    const registry = await EngineRegistry.open(nc, silentLogger);
    const state = (list: EngineState['torrents']): EngineState => ({
      engineId: 'bench',
      version: 'bench',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: list,
      heartbeatMs: 600_000,
    });
    const row = (what: string, r: Row) => rows.push({ server: world.label, what, ...r });

    const approve = async (user: string, sub: { approval: Promise<number> }) => {
      await alice.waitForLog(
        (l) =>
          l.msg === 'subscription request held for the user to approve or deny' && l.jid === world.jid(user),
        { what: `${user}'s request` },
      );
      const started = performance.now();
      const r = await bus.request(xmpp.approve, { jid: world.jid(user) });
      if (!r.ok) throw new Error(`approve: ${r.error.message}`);
      return (await sub.approval) - started;
    };
    const dave = await subscriber(cleanup, world, 'dave');
    row('presence latency, idle', { ms: Math.round(await approve('dave', dave)) });

    /** Announce `list`; resolve with the time until bob holds `expect` shares of alice, and alice's publish log. */
    const change = async (list: EngineState['torrents'], during?: () => Promise<void>) => {
      const seenBob = bob.logs.length;
      const seenAlice = alice.logs.length;
      const started = Date.now();
      await registry.announce(state(list));
      const extra = during?.();
      const got = await bob.waitForLog(
        (l) =>
          l.msg === 'received a share list' && l.shares === list.length && bob.logs.indexOf(l) >= seenBob,
        { what: `${list.length} shares at bob`, timeoutMs: 900_000 },
      );
      const pub = await alice.waitForLog(
        (l) =>
          l.msg === 'published our share list' &&
          l.shares === list.length &&
          alice.logs.indexOf(l) >= seenAlice,
        { what: `alice to publish ${list.length} shares`, timeoutMs: 900_000 },
      );
      await extra;
      return { ms: Date.parse(got.time as string) - started, pub };
    };

    const first1k = await change(torrents('k', 1_000));
    row('first publish, 1,000 shares', {
      ms: first1k.ms,
      bytes: Number(first1k.pub.bytes),
      stanzas: Number(first1k.pub.stanzas),
    });

    const erin = await subscriber(cleanup, world, 'erin');
    await alice.waitForLog(
      (l) =>
        l.msg === 'subscription request held for the user to approve or deny' && l.jid === world.jid('erin'),
      { what: 'erin’s request' },
    );
    let presenceMs = NaN;
    const tenK = torrents('m', 10_000);
    const first10k = await change(tenK, async () => {
      // While alice's gateway is publishing (its first bucket is out well within 3 s).
      await new Promise((r) => setTimeout(r, 3_000));
      presenceMs = await approve('erin', erin);
    });
    row('first publish, 10,000 shares', {
      ms: first10k.ms,
      bytes: Number(first10k.pub.bytes),
      stanzas: Number(first10k.pub.stanzas),
    });
    row('presence latency during the first publish of 10,000', { ms: Math.round(presenceMs) });

    // Changes: right after the first publish (the worst case: alice's pace and the server's
    // burst are spent on it, and `current`, larger than the burst, left alice's pacer in debt),
    // then after the account was idle for IDLE_MS (the usual case).
    const measureChange = async (what: string, list: EngineState['torrents']) => {
      const r = await change(list);
      row(what, {
        ms: r.ms,
        bytes: Number(r.pub.bytes),
        stanzas: Number(r.pub.stanzas),
        goal: r.ms < GOAL_MS ? 'met' : 'missed',
      });
    };
    const idle = () => new Promise((r) => setTimeout(r, IDLE_MS));
    const added = [...tenK, ...torrents('m', 1, 10_000)];
    await measureChange('one share added to 10,000, right after the first publish', added);
    await idle();
    await measureChange(`one share removed from 10,001, after ${IDLE_MS / 1000} s idle`, added.slice(1));
    await idle();
    const later = [...added.slice(1), ...torrents('m', 1, 10_001)];
    await measureChange(`one share added to 10,000, after ${IDLE_MS / 1000} s idle`, later);
    await idle();
    // A share in bucket 0, which `current` holds: `current` is written again once the list is
    // quiet; the next change is made the moment it starts going out.
    const first = { hash: `0000${hashOf('z', 0).slice(4)}`, name: 'video-first.mkv', size: 1_000 };
    const seenAlice = alice.logs.length;
    await measureChange('one share added to 10,000 in the buckets `current` holds', [...later, first]);
    const writing = await alice.waitForLog(
      (l) => l.msg === 'writing our original-format item' && alice.logs.indexOf(l) >= seenAlice,
      { what: 'alice to write `current`', timeoutMs: 120_000 },
    );
    await measureChange('one share added the moment `current` is written', [
      ...later,
      first,
      ...torrents('m', 1, 10_002),
    ]);
    row('(`current`, written last)', { bytes: Number(writing.bytes), via: String(writing.via ?? 'main') });
    row('(alice’s pace)', {
      bytesPerSecond: String(pace.bytesPerSecond),
      software: String(pace.server ?? 'unknown'),
    });
  } finally {
    await cleanup.run();
  }
}

it('share lists against the stock rate limits of Prosody and ejabberd', async () => {
  const rows: Row[] = [];
  const only = process.env.BENCH_XMPP_SERVERS?.split(',');
  for (const kind of ['prosody', 'ejabberd'] as const)
    if (!only || only.includes(kind)) await benchServer(kind, rows);
  console.log(
    [
      '| server | measure | registry → friend (ms) | bytes alice sent | stanzas | goal |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) =>
        r.what === '(alice’s pace)'
          ? `| ${r.server} | alice's pace: ${r.bytesPerSecond} B/s (XEP-0092 software: ${r.software}) | | | | |`
          : r.what === '(`current`, written last)'
            ? `| ${r.server} | \`current\` (original format), written once quiet, through the ${r.via} session | | ${r.bytes} | 1 | |`
            : `| ${r.server} | ${r.what} | ${r.ms ?? ''} | ${r.bytes ?? ''} | ${r.stanzas ?? ''} | ${r.goal ?? ''} |`,
      ),
    ].join('\n'),
  );
}, 3_600_000);
