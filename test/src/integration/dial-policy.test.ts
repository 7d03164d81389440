import { mkdir } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { engine, xmpp, type PeerEndpoint } from '@bitween/messages';
import { classifyAddress, sharesLan } from '@bitween/net-policy';
import TrackerClient, { Server as TrackerServer } from 'bittorrent-tracker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  sha256File,
  startTestEngine,
  torrentPort,
  waitFor,
  writeRandomFile,
  type LogLine,
  type TestEngine,
} from '../harness/index.js';

/** 16-bit groups of an IPv6 address. */
function groups6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const part = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/**
 * An address on one of this host's LAN-class subnets (RFC 1918, ULA) that is not the host's
 * own, nor its subnet's network or broadcast address: where a contact behind our router could
 * be. Null when the host is on no such subnet. (Nothing need answer there: the test only sees
 * the engine decide to dial it.)
 */
function lanNeighbour(): string | null {
  for (const infos of Object.values(networkInterfaces())) {
    for (const i of infos ?? []) {
      if (i.internal || !i.cidr || classifyAddress(i.address) !== 'lan') continue;
      const bits = Number(i.cidr.split('/')[1]);
      if (i.family === 'IPv4' && bits <= 29) {
        const n = i.address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
        const size = 2 ** (32 - bits);
        const last = n - (n % size) + size - 2; // the last host address
        const pick = last === n ? last - 1 : last;
        return [24, 16, 8, 0].map((s) => Math.floor(pick / 2 ** s) % 256).join('.');
      }
      if (i.family === 'IPv6' && bits <= 64) {
        const g = groups6(i.address);
        const pick = [...g.slice(0, 4), 0xb17e, 0, 0, g[7] === 0xee7 ? 0xee8 : 0xee7];
        return pick.map((x) => x.toString(16)).join(':');
      }
    }
  }
  return null;
}

/** This host's first non-internal address (the API stand-in listens there too); null if none. */
function ownAddress(): string | null {
  const own = Object.values(networkInterfaces())
    .flatMap((infos) => infos ?? [])
    .find((i) => !i.internal && !i.address.startsWith('fe80'));
  return own?.address ?? null;
}

/**
 * The dial policy with real engines and real sockets: a hostile contact's endpoints for a hash
 * point at each class of address a stranger on the internet could not reach — among them a real
 * listening TCP server on this host standing for our API port — next to one allowed endpoint (a
 * seeder the operator allow-listed, BITWEEN_DIAL_ALLOW=127.0.0.2). The download completes from the
 * allowed seeder, every other dial is refused where webtorrent would create the peer, and the
 * "API port" never sees a connection: the engine dials in list order, so a connection to it would
 * sit in the server's accept queue before the one the test makes after the download.
 */
describe('dial policy: what a contact (or a tracker) can make the engine connect to', () => {
  const cleanup = new Cleanup();
  let root: string;
  let seeder: TestEngine;
  let leecher: TestEngine;
  let seederPort: number;
  /** The stand-in for our API port: every address of this host, one port. */
  let apiPort: number;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    root = await makeTempDir('dial-policy');
    await mkdir(join(root, 'seeder'), { recursive: true });
    seeder = await startTestEngine(cleanup, {
      root,
      id: 'seeder',
      label: 'dial-seeder',
      // The leecher dials 127.0.0.2 (allow-listed there); whatever source address it gets.
      extra: { BITWEEN_PEER_ALLOW: '127.0.0.0/8' },
    });
    leecher = await startTestEngine(cleanup, {
      root,
      id: 'leecher',
      label: 'dial-leecher',
      // Only the seeder's alias: 127.0.0.1, where the "API" listens, is not allowed.
      extra: { BITWEEN_DIAL_ALLOW: '127.0.0.2' },
    });
    seederPort = torrentPort(seeder);
    const api = createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
    });
    // `::` with IPv6 dual stack: 127.0.0.1, ::1, ::ffff:127.0.0.1 and 0.0.0.0 all land here.
    await new Promise<void>((resolve) => api.listen(0, '::', resolve));
    cleanup.add('fake api port', () => {
      for (const s of accepted) s.destroy();
      return new Promise<void>((resolve) => api.close(() => resolve()));
    });
    apiPort = (api.address() as { port: number }).port;
  });
  afterAll(() => cleanup.run());

  async function share(name: string): Promise<{ hash: string; sum: string }> {
    const file = join(root, 'seeder', name);
    const sum = await writeRandomFile(file, 2 * 1024 * 1024 + 321);
    const shared = await seeder.bus.request(engine.addPath, { path: file });
    if (!shared.ok) throw shared.error;
    return { hash: shared.value.torrent.hash, sum };
  }

  const refusal = (address: string, port: number, hash: string, source = 'contact') =>
    leecher.process.waitForLog(
      (l) =>
        l.msg === 'refused to dial a peer' &&
        l.address === address &&
        l.port === port &&
        l.hash === hash &&
        l.source === source,
      { what: `the leecher to refuse ${address}:${port} (${source})` },
    );
  const dialling = (address: string, port: number, hash: string) =>
    leecher.process.waitForLog(
      (l) => l.msg === 'dialling a peer' && l.address === address && l.port === port && l.hash === hash,
      { what: `the leecher to dial ${address}:${port}` },
    );
  const completed = (hash: string) =>
    leecher.process.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: 'the download from the allowed seeder',
    });

  /** Connections to the "API port" up to the test's last probe (which are the probes). */
  let probed = 0;
  /**
   * The test connects to the "API port" itself: had the engine connected there first, that
   * connection would be accepted before ours. Resolves with the connections accepted since the
   * last probe (none but the probes: 0).
   */
  async function connectionsBeforeProbe(): Promise<number> {
    const probe = createConnection({ host: '127.0.0.1', port: apiPort });
    await new Promise<void>((resolve, reject) => probe.once('connect', resolve).once('error', reject));
    const local = probe.localPort;
    const mine = await waitFor(() => accepted.find((s) => s.remotePort === local), {
      what: 'the probe connection to be accepted',
    });
    probe.destroy();
    const others = accepted.indexOf(mine) - probed;
    probed = accepted.indexOf(mine) + 1;
    return others;
  }

  it('refuses this host, the link, multicast, broadcast and a LAN it does not share; downloads from the allowed seeder', async () => {
    const { hash, sum } = await share('wanted.bin');
    const added = await leecher.bus.request(engine.addHash, { hash });
    if (!added.ok) throw added.error;

    const mallory = 'mallory@example.org';
    const P = apiPort;
    const ownPublic = '198.51.100.77';
    const neighbour = lanNeighbour();
    const own = ownAddress();
    const hostile: { endpoint: PeerEndpoint; code: string }[] = [
      { endpoint: { address: '0.0.0.0', port: P }, code: 'unspecified' },
      { endpoint: { address: '127.0.0.1', port: P }, code: 'loopback' },
      { endpoint: { address: '169.254.169.254', port: 80 }, code: 'link-local' },
      { endpoint: { address: '224.0.0.1', port: P }, code: 'multicast' },
      { endpoint: { address: '255.255.255.255', port: P }, code: 'broadcast' },
      { endpoint: { address: 'fe80::1', port: P }, code: 'link-local' },
      { endpoint: { address: '::1', port: P }, code: 'loopback' },
      { endpoint: { address: '::ffff:127.0.0.1', port: P }, code: 'loopback' },
      // A LAN address with a public address that is not ours: no evidence of a shared LAN.
      {
        endpoint: { address: neighbour ?? '192.168.77.7', port: P + 1, publicAddresses: ['203.0.113.99'] },
        code: 'lan',
      },
      // A LAN address with no public address at all.
      { endpoint: { address: '10.255.255.77', port: P }, code: 'lan' },
      // Our own public address: from inside it reaches our router (or this host).
      { endpoint: { address: ownPublic, port: P }, code: 'own-network' },
      // This host's own address, whatever its class (the API stand-in listens there too).
      ...(own ? [{ endpoint: { address: own, port: P }, code: 'this-host' }] : []),
    ].map((h) => ({ ...h, endpoint: { ...h.endpoint, jid: mallory } }));
    // With evidence: on one of our subnets, and the contact announces our public address.
    const lanShared: PeerEndpoint | null = neighbour
      ? { address: neighbour, port: P, jid: mallory, publicAddresses: [ownPublic] }
      : null;
    if (neighbour) {
      const interfaces = Object.values(networkInterfaces()).flatMap((x) => x ?? []);
      // (what the engine will find: the policy agrees this host shares that LAN)
      expect(sharesLan(neighbour, { interfaces, ownPublic: [ownPublic], contactPublic: [ownPublic] })).toBe(
        true,
      );
    }
    const allowed: PeerEndpoint = { address: '127.0.0.2', port: seederPort, jid: 'alice@example.org' };

    const refused = hostile.map(({ endpoint: e }) => refusal(e.address, e.port, hash));
    const dialled = [dialling('127.0.0.2', seederPort, hash)];
    if (lanShared) dialled.push(dialling(lanShared.address, lanShared.port, hash));
    const done = completed(hash);
    // The hostile endpoints come first: each is judged before the allowed one is even added.
    leecher.bus.publish(xmpp.peers, {
      peers: [
        {
          hash,
          endpoints: [...hostile.map((h) => h.endpoint), ...(lanShared ? [lanShared] : []), allowed],
        },
      ],
      ownPublic: [ownPublic],
    });

    const lines: LogLine[] = await Promise.all(refused);
    expect(lines.map((l) => l.code)).toEqual(hostile.map((h) => h.code));
    expect(lines.every((l) => l.level === 30 && l.contact === mallory)).toBe(true);
    const [seederDial, lanDial] = await Promise.all(dialled);
    expect(seederDial).toMatchObject({ class: 'allow-listed', contact: 'alice@example.org' });
    if (lanShared) expect(lanDial).toMatchObject({ class: 'lan', contact: mallory });
    await done;
    expect(await sha256File(join(root, 'leecher', 'downloads', 'wanted.bin'))).toBe(sum);
    expect(await connectionsBeforeProbe()).toBe(0);

    // Counted by reason in the engine's registry entry (what the api's /metrics shows).
    const counts = await waitFor(
      async () => {
        const [me] = await leecher.registry.live();
        const r = me?.state.refusedDials;
        return r && (r['lan'] ?? 0) >= 2 ? r : null;
      },
      { what: "the refusals in the leecher's registry entry" },
    );
    expect(counts).toMatchObject({
      unspecified: 1,
      loopback: 3,
      'link-local': 2,
      multicast: 1,
      broadcast: 1,
      lan: 2,
      'own-network': 1,
      ...(own ? { 'this-host': 1 } : {}),
    });
  });

  it('refuses a peer a tracker hands out on this host (a crafted tracker list cannot aim us at a local port)', async () => {
    const { hash, sum } = await share('tracked.bin');
    const tracker = new TrackerServer({ udp: false, ws: false, http: true, stats: false });
    await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', () => resolve()));
    cleanup.add('tracker', () => new Promise<void>((resolve) => tracker.close(() => resolve())));
    const url = `http://127.0.0.1:${(tracker.http!.address() as { port: number }).port}/announce`;
    // Someone announces the hash at 127.0.0.1:<API port>: the tracker hands that out as a peer.
    const liar = new TrackerClient({
      infoHash: hash,
      peerId: 'f'.repeat(40),
      announce: [url],
      port: apiPort,
    });
    cleanup.add('lying announcer', () => liar.destroy());
    await new Promise<void>((resolve, reject) => {
      liar.once('update', () => resolve());
      liar.once('error', reject);
      liar.start();
    });

    const refused = refusal('127.0.0.1', apiPort, hash, 'tracker');
    const done = completed(hash);
    const added = await leecher.bus.request(engine.addHash, { hash, trackers: [url] });
    if (!added.ok) throw added.error;
    leecher.bus.publish(xmpp.peers, {
      peers: [{ hash, endpoints: [{ address: '127.0.0.2', port: seederPort }] }],
    });
    expect(await refused).toMatchObject({ code: 'loopback', reason: '127.0.0.1 is a loopback address' });
    await done;
    expect(await sha256File(join(root, 'leecher', 'downloads', 'tracked.bin'))).toBe(sum);
    expect(await connectionsBeforeProbe()).toBe(0);
  });
});
