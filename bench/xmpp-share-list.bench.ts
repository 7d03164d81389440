import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  waitFor,
  type LogLine,
  type ScriptProcess,
} from '../test/src/harness/index.js';
import { federationUnavailable, password, phone, startFederation } from '../test/src/lab/federation.js';
import { bridgeInto, startServiceIn } from '../test/src/lab/home-stack.js';
import { startLab } from '../test/src/lab/lab.js';

/**
 * Share lists against the servers' stock rate limits (the values of Debian 12's
 * /etc/prosody/prosody.cfg.lua and /etc/ejabberd/ejabberd.yml: Prosody 0.12 mod_limits
 * `c2s = 10kb/s` (burst 2 s), `s2sin = 30kb/s`, ejabberd 23.01 `shaper: normal` 3000 B/s, burst
 * 20,000, max_stanza_size 262144), through real gateways and NATS (the engine state is written to
 * the registry directly). Measured per world:
 * - first publish of 1,000 and of 10,000 shares: registry → the friend's gateway has the whole
 *   list, and the bytes and stanzas alice sent;
 * - one change of the 10,000-share list → the friend (goal < 2 s): right after the first publish,
 *   after the account was idle for a while, and right after alice started writing `current` (the
 *   original-format item, ~49 kB, written once the list is quiet: the worst case);
 * - a presence's latency: alice approves a subscription (her gateway sends `subscribed`) while
 *   idle and while the first publish of 10,000 shares runs; the subscriber's client times it;
 * - presence → list shown: bob's gateway starts again while alice holds 1,000 / ~10,000 shares;
 *   from alice's presence reaching it (its log "a contact came online") to its log of her whole
 *   list (and from its own login, "XMPP online").
 *
 * Worlds: `prosody` and `ejabberd` (alice, bob and the subscribers on one server, the harness's
 * config with the stock limits added) and `federation` (the federation lab of
 * test/src/lab/federation.ts, needs root: Debian's stock config files of both servers, alice on
 * Prosody a.example, bob and the subscribers on ejabberd b.example, s2s with lab-CA
 * certificates, SRV through the lab's DNS; each gateway in its home's namespace with its own NATS).
 *
 *   npm run bench:xmpp
 *
 * Options (environment): BENCH_XMPP_SERVERS=prosody,ejabberd,federation (default all three, one
 * after the other; each takes ~4-6 min); BITWEEN_XMPP_BULK_SESSION=on (default here) or off,
 * passed to the gateways (their bulk session, xmpp/bulk-session.ts).
 */
const GOAL_MS = 2_000;
const IDLE_MS = 20_000;
const KINDS = ['prosody', 'ejabberd', 'federation'] as const;
type Kind = (typeof KINDS)[number];
type Friend = 'alice' | 'bob';

type Row = Record<string, string | number>;
type NatsConnection = Awaited<ReturnType<Awaited<ReturnType<typeof startNats>>['connect']>>;
type XmppClient = ReturnType<typeof client>;

const hashOf = (tag: string, i: number) => createHash('sha1').update(`${tag}/${i}`).digest('hex');
const torrents = (tag: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    hash: hashOf(tag, from + i),
    name: `video-${from + i}.mkv`,
    size: 1_000_000 + from + i,
  }));

/** Where alice, bob and the subscribers (dave, erin) have their accounts, and their gateways run. */
interface World {
  label: string;
  jid(user: string): string;
  /** Starts `user`'s gateway (again: same account, data dir and NATS). */
  gateway(user: Friend): Promise<ScriptProcess>;
  /** The bench's own connection to `user`'s NATS. */
  connect(user: Friend): Promise<NatsConnection>;
  /** A plain XMPP client of `user`, connected (not necessarily available yet). */
  client(user: string): Promise<XmppClient>;
  /** alice and bob are mutual contacts from the start (the server's rosters), or must befriend. */
  friends: boolean;
}

const bulkSession = () => process.env.BITWEEN_XMPP_BULK_SESSION ?? 'on';

async function dataDirs(cleanup: Cleanup, kind: string) {
  const root = await makeTempDir(`bench-${kind}-gateways`);
  cleanup.add('gateway data dirs', () => removeTempDir(root));
  return (user: string) => join(root, user);
}

async function startWorld(cleanup: Cleanup, kind: Kind): Promise<World> {
  if (kind === 'federation') return startFederationWorld(cleanup);
  const accounts = ['alice', 'bob', 'dave', 'erin'].map((user) => ({ user, password: password(user) }));
  let server: { label: string; service: string; domain: string; jid(user: string): string; caFile?: string };
  if (kind === 'prosody') {
    const prosody = await startProsody(cleanup, {
      accounts,
      friends: ['alice', 'bob'],
      modules: ['limits', 'version'],
      // Debian 12's stock values (prosody.cfg.lua), and its stanza size limit (mod_c2s default).
      extraConfig: 'limits = { c2s = { rate = "10kb/s"; }; s2sin = { rate = "30kb/s"; }; }\n',
    });
    server = { label: 'Prosody 0.12 (stock limits)', ...prosody };
  } else {
    const dir = await makeTempDir('bench-ejabberd-cert');
    cleanup.add('cert dir', () => removeTempDir(dir));
    const cert = await selfSignedCert(dir, 'localhost');
    tls.setDefaultCACertificates([
      ...tls.getCACertificates('default'),
      await readFile(cert.certFile, 'utf8'),
    ]);
    const ejabberd = await startEjabberd(cleanup, {
      accounts,
      friends: ['alice', 'bob'],
      tls: cert,
      stockLimits: true,
    });
    server = { label: 'ejabberd 23.01 (stock limits)', ...ejabberd, caFile: cert.certFile };
  }
  const nats = { alice: await startNats(cleanup), bob: await startNats(cleanup) };
  const dataDir = await dataDirs(cleanup, kind);
  return {
    label: server.label,
    jid: server.jid,
    friends: true,
    gateway: (user) =>
      startService(cleanup, {
        name: 'xmpp-gateway',
        label: `bench-${kind}-${user}`,
        env: {
          BITWEEN_NATS_URL: nats[user].url,
          BITWEEN_LOG_LEVEL: 'debug',
          BITWEEN_DATA_DIR: dataDir(user),
          BITWEEN_XMPP_JID: server.jid(user),
          BITWEEN_XMPP_PASSWORD: password(user),
          BITWEEN_XMPP_SERVICE: server.service,
          ...(server.caFile ? { BITWEEN_XMPP_TLS_CA_FILE: server.caFile } : {}),
          BITWEEN_XMPP_BULK_SESSION: bulkSession(),
        },
      }),
    connect: (user) => nats[user].connect(),
    client: async (user) => {
      const c = client({
        service: server.service,
        domain: server.domain,
        username: user,
        password: password(user),
        resource: 'bench',
      });
      c.on('error', () => undefined);
      await c.start();
      cleanup.add(`client ${user}`, () => c.stop());
      return c;
    },
  };
}

/**
 * The federation lab (test/src/lab/federation.ts): alice on Prosody a.example, bob, dave and
 * erin on ejabberd b.example, both from Debian's stock config files; each friend's gateway in
 * the server namespace of their lab home, with a NATS of its own there (reached through a bridge).
 */
async function startFederationWorld(cleanup: Cleanup): Promise<World> {
  const unavailable = federationUnavailable();
  if (unavailable) throw new Error(`BENCH_XMPP_SERVERS=federation: ${unavailable}`);
  const lab = await startLab(cleanup, { homes: [{ name: 'alice' }, { name: 'bob', nat: 'none' }] });
  const fed = await startFederation(cleanup, lab, ['alice', 'bob', 'dave', 'erin']);
  const serverOf = (user: string) => (user === 'alice' ? fed.prosody : fed.ejabberd);
  const ns = { alice: lab.homes.alice!.serverNs, bob: lab.homes.bob!.serverNs };
  const nats = {
    alice: await startNats(cleanup, { netns: ns.alice }),
    bob: await startNats(cleanup, { netns: ns.bob }),
  };
  const natsUrl = {
    alice: `nats://127.0.0.1:${await bridgeInto(cleanup, ns.alice, nats.alice.port)}`,
    bob: `nats://127.0.0.1:${await bridgeInto(cleanup, ns.bob, nats.bob.port)}`,
  };
  const dataDir = await dataDirs(cleanup, 'federation');
  return {
    label: 'federation: alice on Prosody a.example, bob on ejabberd b.example (stock configs, s2s)',
    jid: (user) => serverOf(user).jid(user),
    friends: false,
    gateway: (user) =>
      startServiceIn(cleanup, ns[user], {
        name: 'xmpp-gateway',
        label: `bench-federation-${user}`,
        env: {
          ...nats[user].env('xmpp-gateway'),
          BITWEEN_LOG_LEVEL: 'debug',
          BITWEEN_DATA_DIR: dataDir(user),
          BITWEEN_XMPP_JID: serverOf(user).jid(user),
          BITWEEN_XMPP_PASSWORD: password(user),
          // No BITWEEN_XMPP_SERVICE: found by SRV through the lab's DNS.
          BITWEEN_XMPP_TLS_CA_FILE: fed.ca.caFile,
          BITWEEN_XMPP_BULK_SESSION: bulkSession(),
        },
      }),
    connect: (user) => nats[user].connect('test', { servers: natsUrl[user] }),
    client: async (user) => {
      const c = await phone(cleanup, fed, serverOf(user), user);
      cleanup.add(`client ${user}`, () => c.stop());
      return c;
    },
  };
}

const iqOf = (c: XmppClient) =>
  (c as unknown as { iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> } }).iqCaller;

/** A plain client that asks alice for a subscription and reports when she approves it. */
async function subscriber(world: World, user: string) {
  const c = await world.client(user);
  let approved: (at: number) => void = () => undefined;
  const approval = new Promise<number>((resolve) => (approved = resolve));
  c.on('stanza', (s: Element) => {
    if (s.is('presence') && s.attrs.type === 'subscribed') approved(performance.now());
  });
  // Ask for the roster first: servers send subscription stanzas only to such ("interested") resources.
  await iqOf(c).request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), 30_000);
  await c.send(xml('presence'));
  await c.send(xml('presence', { to: world.jid('alice'), type: 'subscribe' }));
  return { approval };
}

const heldRequest = (jid: string) => (l: { msg: string; jid?: unknown }) =>
  l.msg === 'subscription request held for the user to approve or deny' && l.jid === jid;

/** `n` approves `jid`'s held subscription request through its bus (as the api's REST does). */
async function approveAt(n: ScriptProcess, bus: Bus, jid: string): Promise<void> {
  await n.waitForLog(heldRequest(jid), { what: `${jid}'s request at ${n.label}`, timeoutMs: 60_000 });
  const r = await bus.request(xmpp.approve, { jid });
  if (!r.ok) throw new Error(`approve ${jid}: ${r.error.message}`);
}

/**
 * alice and bob become friends as users do (federation.ts's befriend, over the bus): alice asks
 * from a plain client of hers, bob's gateway approves (and subscribes back), alice's approves
 * that; then each sees the other as an online mutual contact.
 */
async function befriend(
  world: World,
  gateways: Record<Friend, ScriptProcess>,
  buses: Record<Friend, Bus>,
): Promise<void> {
  const local = new Cleanup();
  try {
    const phoneOfAlice = await world.client('alice');
    local.add('alice’s client', () => phoneOfAlice.stop());
    await phoneOfAlice.send(xml('presence', { to: world.jid('bob'), type: 'subscribe' }));
    await approveAt(gateways.bob, buses.bob, world.jid('alice'));
    await approveAt(gateways.alice, buses.alice, world.jid('bob'));
  } finally {
    await local.run();
  }
  for (const [me, other] of [
    ['alice', 'bob'],
    ['bob', 'alice'],
  ] as const)
    await waitFor(
      async () => {
        const r = await buses[me].request(xmpp.contacts, {});
        if (!r.ok) return null;
        const c = r.value.contacts.find((x) => x.jid === world.jid(other));
        return c?.subscription === 'both' && c.online ? c : null;
      },
      { what: `${other} to be an online friend of ${me}`, timeoutMs: 60_000, intervalMs: 200 },
    );
}

async function benchWorld(kind: Kind, rows: Row[]): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const world = await startWorld(cleanup, kind);
    let [alice, bob] = await Promise.all([world.gateway('alice'), world.gateway('bob')]);
    await Promise.all(
      [alice, bob].map((g) =>
        g.waitForLog((l) => l.msg === 'XMPP online', { what: `${g.label} online`, timeoutMs: 60_000 }),
      ),
    );
    const pace = await alice.waitForLog(
      (l) =>
        String(l.msg).startsWith('pacing bulk sending') ||
        String(l.msg).startsWith('server software unknown'),
      { what: 'alice’s pace' },
    );
    const nc = { alice: await world.connect('alice'), bob: await world.connect('bob') };
    cleanup.add('nats', () => Promise.all([nc.alice.close(), nc.bob.close()]));
    const bus = new Bus(nc.alice, silentLogger);
    if (!world.friends)
      await befriend(world, { alice, bob }, { alice: bus, bob: new Bus(nc.bob, silentLogger) });
    const registry = await EngineRegistry.open(nc.alice, silentLogger);
    const state = (list: EngineState['torrents']): EngineState => ({
      engineId: 'bench',
      version: 'bench',
      endpoints: [{ address: '127.0.0.1', port: 6881 }],
      torrents: list,
      heartbeatMs: 600_000,
    });
    const row = (what: string, r: Row) => rows.push({ server: world.label, what, ...r });

    const approve = async (user: string, sub: { approval: Promise<number> }) => {
      await alice.waitForLog(heldRequest(world.jid(user)), { what: `${user}'s request` });
      const started = performance.now();
      const r = await bus.request(xmpp.approve, { jid: world.jid(user) });
      if (!r.ok) throw new Error(`approve: ${r.error.message}`);
      return (await sub.approval) - started;
    };
    const dave = await subscriber(world, 'dave');
    row('presence latency, idle', { ms: Math.round(await approve('dave', dave)) });

    const fromAlice = (shares: number, after: number) => (l: Record<string, unknown>) =>
      l.msg === 'received a share list' &&
      l.from === world.jid('alice') &&
      l.shares === shares &&
      bob.logs.indexOf(l as never) >= after;

    /** Announce `list`; resolve with the time until bob holds `expect` shares of alice, and alice's publish log. */
    const change = async (list: EngineState['torrents'], during?: () => Promise<void>) => {
      const seenBob = bob.logs.length;
      const seenAlice = alice.logs.length;
      const started = Date.now();
      await registry.announce(state(list));
      const extra = during?.();
      const got = await bob.waitForLog(fromAlice(list.length, seenBob), {
        what: `${list.length} shares at bob`,
        timeoutMs: 900_000,
      });
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

    /**
     * bob's gateway starts again (stopped as a user's would be) while alice holds `shares`, once
     * alice's list is quiet (her `current` rewritten after her last publish of it: right after a
     * list moved into buckets, the server's last `current` is still the older list's): the time
     * from alice's presence reaching it to its log of her whole list, and from its login.
     */
    const presenceToList = async (shares: number, currentRewritten: boolean) => {
      const published = alice.logs.findLastIndex(
        (l) => l.msg === 'published our share list' && l.shares === shares,
      );
      // The first list in buckets always gets a new `current`; a later change only when it
      // touched the buckets `current` holds. Either way, none may be going out any more.
      const writing = currentRewritten
        ? alice.logs.indexOf(
            await alice.waitForLog(
              (l) => l.msg === 'writing our original-format item' && alice.logs.indexOf(l) > published,
              { what: `alice to write \`current\` of ${shares} shares`, timeoutMs: 180_000 },
            ),
          )
        : alice.logs.findLastIndex((l) => l.msg === 'writing our original-format item');
      if (writing >= 0)
        await alice.waitForLog(
          (l) => l.msg === 'published our original-format item' && alice.logs.indexOf(l) > writing,
          { what: `alice's \`current\` to be written`, timeoutMs: 180_000 },
        );
      await bob.stop();
      bob = await world.gateway('bob');
      const at = (l: LogLine) => Date.parse(l.time as string);
      const online = await bob.waitForLog((l) => l.msg === 'XMPP online', {
        what: 'bob online again',
        timeoutMs: 60_000,
      });
      const presence = await bob.waitForLog(
        (l) => l.msg === 'a contact came online: reading its list' && l.jid === world.jid('alice'),
        { what: 'alice’s presence at bob', timeoutMs: 60_000 },
      );
      const got = await bob.waitForLog(fromAlice(shares, 0), {
        what: `alice's ${shares} shares at bob after his start`,
        timeoutMs: 600_000,
      });
      row(`presence → list shown: bob's gateway comes online, alice holds ${shares.toLocaleString('en')}`, {
        ms: at(got) - at(presence),
        fromLogin: at(got) - at(online),
      });
    };

    const first1k = await change(torrents('k', 1_000));
    row('first publish, 1,000 shares', {
      ms: first1k.ms,
      bytes: Number(first1k.pub.bytes),
      stanzas: Number(first1k.pub.stanzas),
    });
    await presenceToList(1_000, true);

    const erin = await subscriber(world, 'erin');
    await alice.waitForLog(heldRequest(world.jid('erin')), { what: 'erin’s request' });
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
    const last = [...later, first, ...torrents('m', 1, 10_002)];
    await measureChange('one share added the moment `current` is written', last);
    await idle();
    await presenceToList(last.length, false);
    row('(`current`, written last)', { bytes: Number(writing.bytes), via: String(writing.via ?? 'main') });
    row('(alice’s pace)', {
      bytesPerSecond: String(pace.bytesPerSecond),
      software: String(pace.server ?? 'unknown'),
    });
  } finally {
    await cleanup.run();
  }
}

it('share lists against the stock rate limits of Prosody and ejabberd, alone and federated', async () => {
  const rows: Row[] = [];
  const only = process.env.BENCH_XMPP_SERVERS?.split(',');
  for (const kind of KINDS) if (!only || only.includes(kind)) await benchWorld(kind, rows);
  console.log(
    [
      '| server | measure | registry → friend (ms) | bytes alice sent | stanzas | goal |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) =>
        r.what === '(alice’s pace)'
          ? `| ${r.server} | alice's pace: ${r.bytesPerSecond} B/s (XEP-0092 software: ${r.software}) | | | | |`
          : r.what === '(`current`, written last)'
            ? `| ${r.server} | \`current\` (original format), written once quiet, through the ${r.via} session | | ${r.bytes} | 1 | |`
            : r.fromLogin !== undefined
              ? `| ${r.server} | ${r.what} | ${r.ms} (from his login: ${r.fromLogin}) | | | |`
              : `| ${r.server} | ${r.what} | ${r.ms ?? ''} | ${r.bytes ?? ''} | ${r.stanzas ?? ''} | ${r.goal ?? ''} |`,
      ),
    ].join('\n'),
  );
}, 3_600_000);
