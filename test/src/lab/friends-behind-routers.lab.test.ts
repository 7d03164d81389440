import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { waitFor } from '../harness/wait.js';
import type { ScriptProcess } from '../harness/service.js';
import { ipIn, labUnavailable } from './netns.js';
import {
  engineStates,
  MiB,
  shareAndDownload as transfer,
  startWorld,
  sumConnections,
  waitForConnection,
  type World,
} from './world.js';
import type { HomeStack } from './home-stack.js';

/**
 * Issue 19's scenarios in the network lab where TCP gets through: a (both routers map ports),
 * d over TCP (IPv6 through a PCP pinhole), e (one side on a public address), e2 (one side's router
 * forwards a port by hand). Hole punching
 * and relay (b, c, d) are in hole-punching.lab.test.ts, crafted signalling (f) in
 * crafted-signalling.lab.test.ts.
 */

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const SIZE = 32 * MiB;
/** An address as logged for an accepted socket (IPv4-mapped on a dual-stack listener) as plain IPv4. */
const unmapped = (a: unknown) => String(a).replace(/^::ffff:/, '');
const shareAndDownload = (sharer: HomeStack, downloader: HomeStack) => transfer(sharer, downloader, SIZE);

describe.skipIf(unavailable !== null)(
  'lab scenario a: both routers run miniupnpd → TCP through the mapped port, no router configured by hand',
  () => {
    const cleanup = new Cleanup();
    let w: World;

    beforeAll(async () => {
      w = await startWorld(cleanup, {
        homes: [
          { name: 'alice', upnp: true },
          { name: 'bob', upnp: true },
        ],
      });
    });
    afterAll(() => cleanup.run());

    it('each engine maps its port on its router and announces the mapped address first', async () => {
      for (const n of [w.alice, w.bob]) {
        const mapped = await n.engine.waitForLog((l) => l.msg === 'port mapped on the router', {
          what: `${n.user}'s engine to map its port`,
          timeoutMs: 30_000,
        });
        expect(mapped['protocol']).toBe('upnp-igd');
        expect(mapped['external']).toMatch(/^203\.0\.113\.\d+:\d+$/);
        const port = Number(String(mapped['external']).split(':')[1]);
        const internalPort = mapped['internalPort'] as number;
        expect(await w.lab.upnpRedirects(n.user)).toContainEqual({
          externalPort: port,
          to: `${n.home.serverAddress}:${internalPort}`,
        });
        // The engine's registry entry (what the gateway publishes, what the api can show).
        const states = await engineStates(cleanup, n);
        const state = await waitFor(
          async () => (await states()).find((s) => s.portMapping?.state === 'mapped'),
          { what: `${n.user}'s registry entry to show the mapping` },
        );
        expect(state.portMapping).toMatchObject({
          protocol: 'upnp-igd',
          external: { address: n.home.publicAddress, port },
          internalPort,
          lastError: null,
        });
        expect(state.portMapping?.expiresAt).toBeGreaterThan(Date.now());
        expect(state.endpoints).toEqual([
          { address: n.home.publicAddress, port },
          { address: n.home.serverAddress, port: internalPort },
        ]);
      }
    });

    it('bob downloads alice’s 32 MiB share over the mapped ports, bytes checked', async () => {
      const { offered } = await shareAndDownload(w.alice, w.bob);
      // alice's router address and granted port first, her LAN address after it
      expect(offered[0]?.[0]).toBe(w.alice.home.publicAddress);
      expect(offered.map((e) => e[0])).toContain(w.alice.home.serverAddress);
      expect(offered.findIndex((e) => e[0] === w.alice.home.serverAddress)).toBeGreaterThan(0);
      // The bytes crossed a port forward miniupnpd made (nothing else lets a connection in).
      const packets = (await w.lab.mappedPackets('alice')) + (await w.lab.mappedPackets('bob'));
      expect(packets).toBeGreaterThan(0);
      // One side accepted the other's wire on its mapped port: counted as tcpMapped there.
      const readers = [await engineStates(cleanup, w.alice), await engineStates(cleanup, w.bob)];
      const mapped = await waitFor(
        async () => {
          const sum = sumConnections((await Promise.all(readers.map((r) => r()))).flat());
          return sum.tcpMapped > 0 ? sum : null;
        },
        { what: 'an engine to count a tcpMapped connection', timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(mapped.webrtcDirect + mapped.webrtcRelayed).toBe(0);
    });

    let second: ScriptProcess;
    it('a second engine in the same home maps its own port', async () => {
      second = await w.alice.addEngine('engine-2');
      const mapped = await second.waitForLog((l) => l.msg === 'port mapped on the router', {
        what: "alice's second engine to map its port",
        timeoutMs: 30_000,
      });
      const first = w.alice.engine.logs.find((l) => l.msg === 'port mapped on the router')!;
      expect(mapped['external']).not.toBe(first['external']);
      expect(mapped['internalPort']).not.toBe(first['internalPort']);
      const redirects = await w.lab.upnpRedirects('alice');
      for (const m of [first, mapped]) {
        expect(redirects).toContainEqual({
          externalPort: Number(String(m['external']).split(':')[1]),
          to: `${w.alice.home.serverAddress}:${m['internalPort'] as number}`,
        });
      }
    });

    it('an engine that stops removes its mapping from the router, the other keeps its own', async () => {
      const gone = Number(
        String(w.alice.engine.logs.find((l) => l.msg === 'port mapped on the router')!['external']).split(
          ':',
        )[1],
      );
      const kept = Number(
        String(second.logs.find((l) => l.msg === 'port mapped on the router')!['external']).split(':')[1],
      );
      expect(await w.alice.engine.stop()).toBe(0);
      expect(w.alice.engine.logs.some((l) => l.msg === 'port mapping removed')).toBe(true);
      const after = (await w.lab.upnpRedirects('alice')).map((r) => r.externalPort);
      expect(after).not.toContain(gone);
      expect(after).toContain(kept);
    });
  },
);

describe.skipIf(unavailable !== null)(
  'lab scenario d over TCP: IPv6 through stateful firewalls, the sharer’s router opens a PCP pinhole → no rule added by hand',
  () => {
    const cleanup = new Cleanup();
    let w: World;

    beforeAll(async () => {
      // alice's router runs miniupnpd, but a carrier-grade NAT in front of it drops every new
      // inbound IPv4 connection: her IPv4 mapping leads nowhere, only her IPv6 pinhole lets anyone
      // in. bob sits behind a symmetric NAT and a stateful IPv6 firewall, without UPnP; no STUN/TURN.
      w = await startWorld(cleanup, {
        homes: [
          { name: 'alice', upnp: true, ipv4Unreachable: true },
          { name: 'bob', nat: 'symmetric' },
        ],
        ipv6: true,
        // alice's engine looks at its addresses every 2 s (default 5 min): one is added below.
        engineEnv: { alice: { BITWEEN_ADDRESS_CHECK_MS: '2000' } },
      });
    });
    afterAll(() => cleanup.run());

    it('alice’s engine opens an IPv6 pinhole for its port with PCP and reports it (next to its IPv4 mapping)', async () => {
      const alice = w.alice;
      const opened = await alice.engine.waitForLog((l) => l.msg === 'IPv6 pinhole opened on the router', {
        what: "alice's engine to open its IPv6 pinhole",
        timeoutMs: 30_000,
      });
      const port = opened['internalPort'] as number;
      expect(opened).toMatchObject({ protocol: 'pcp', external: `[${alice.home.serverAddress6}]:${port}` });
      expect(await w.lab.pinholes6('alice')).toEqual([`[${alice.home.serverAddress6}]:${port}`]);
      const states = await engineStates(cleanup, alice);
      const state = await waitFor(
        async () =>
          (await states()).find((s) => s.pinhole?.state === 'mapped' && s.portMapping?.state === 'mapped'),
        { what: "alice's registry entry to show the pinhole and the mapping" },
      );
      expect(state.pinhole).toMatchObject({
        protocol: 'pcp',
        external: { address: alice.home.serverAddress6, port },
        internalPort: port,
        lastError: null,
      });
      expect(state.portMapping).toMatchObject({ state: 'mapped', protocol: 'upnp-igd' });
    });

    it('reachability: alice (pinhole open) is direct; bob’s global IPv6 behind his firewall, with no pinhole, is not', async () => {
      const alice = await engineStates(cleanup, w.alice);
      const a = await waitFor(
        async () => (await alice()).find((s) => s.reachability?.verdict === 'direct') ?? null,
        { what: "alice's verdict to be direct" },
      );
      expect(a.reachability?.publicAddresses).toContain(w.alice.home.serverAddress6);
      const bob = await engineStates(cleanup, w.bob);
      const b = await waitFor(
        async () =>
          (await bob()).find(
            (s) => s.pinhole?.state === 'unavailable' && s.reachability?.verdict !== 'unknown',
          ) ?? null,
        {
          what: "bob's pinhole attempt to fail (no PCP on his router) and his verdict to be worked out",
          timeoutMs: 60_000,
        },
      );
      expect(b.reachability?.ipv6).toEqual([w.bob.home.serverAddress6]);
      expect(b.reachability?.verdict).not.toBe('direct');
    });

    it('a second global IPv6 address that appears while alice’s engine runs is announced and gets its own pinhole', async () => {
      const first = w.alice.home.serverAddress6!;
      const second = first.replace(/::2$/, '::3');
      await ipIn(w.alice.home.serverNs, ['-6', 'addr', 'add', `${second}/64`, 'dev', 'eth0', 'nodad']);
      const opened = await w.alice.engine.waitForLog(
        (l) =>
          l.msg === 'IPv6 pinhole opened on the router' && String(l['external']).startsWith(`[${second}]`),
        { what: "alice's engine to open a pinhole for its new address", timeoutMs: 30_000 },
      );
      const port = opened['internalPort'] as number;
      expect((await w.lab.pinholes6('alice')).sort()).toEqual(
        [`[${first}]:${port}`, `[${second}]:${port}`].sort(),
      );
      const states = await engineStates(cleanup, w.alice);
      const state = await waitFor(
        async () =>
          (await states()).find(
            (s) =>
              s.endpoints.some((e) => e.address === second) &&
              s.pinholes?.length === 2 &&
              s.pinholes.every((p) => p.state === 'mapped'),
          ) ?? null,
        { what: "alice's registry entry to announce the new address with both pinholes open" },
      );
      expect(state.pinholes?.map((p) => p.external?.address).sort()).toEqual([first, second].sort());
    });

    it('bob downloads alice’s 32 MiB share over TCP through her pinhole, bytes checked', async () => {
      const before = await w.lab.forwardedBytes6('alice');
      const { offered6 } = await shareAndDownload(w.alice, w.bob);
      expect(offered6.map((e) => e[0])).toContain(w.alice.home.serverAddress6);
      // The bytes crossed alice's router over IPv6.
      expect((await w.lab.forwardedBytes6('alice')) - before).toBeGreaterThan(SIZE);
      // bob's TCP connection came in through the pinhole (nothing else lets it in), and alice
      // counted a TCP connection (WebRTC has no STUN/TURN server here).
      expect(await w.lab.pinholePackets6('alice')).toBeGreaterThan(0);
      const states = await engineStates(cleanup, w.alice);
      const sum = await waitFor(
        async () => {
          const c = sumConnections(await states());
          return c.tcpDirect + c.tcpMapped > 0 ? c : null;
        },
        { what: 'alice to count a TCP connection', timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(sum.tcpDirect + sum.tcpMapped).toBeGreaterThan(0);
    });

    it('an engine that stops closes its pinhole', async () => {
      expect(await w.alice.engine.stop()).toBe(0);
      expect(w.alice.engine.logs.filter((l) => l.msg === 'IPv6 pinhole removed')).toHaveLength(2);
      expect(await w.lab.pinholes6('alice')).toEqual([]);
    });
  },
);

describe.skipIf(unavailable !== null)('lab scenario e: one side on a public address → direct TCP', () => {
  const cleanup = new Cleanup();
  let w: World;

  beforeAll(async () => {
    // alice: a server with a public address, no NAT; bob: behind plain NAT without UPnP, his
    // gateway learns his router's address by STUN (BITWEEN_STUN_SERVER), so alice admits him.
    w = await startWorld(cleanup, {
      homes: [{ name: 'alice', nat: 'none' }, { name: 'bob' }],
      gatewayEnv: { bob: { BITWEEN_STUN_SERVER: '203.0.113.1:3478' } },
    });
  });
  afterAll(() => cleanup.run());

  it('bob downloads alice’s 32 MiB share by dialling her public address, bytes checked', async () => {
    // Nobody answers UPnP or NAT-PMP: said once at warn, and nothing is mapped.
    for (const n of [w.alice, w.bob]) {
      await n.engine.waitForLog((l) => l.level === 40 && /no router answered/.test(l.msg), {
        what: `${n.user}'s engine to find no gateway`,
        timeoutMs: 30_000,
      });
    }
    const { offered } = await shareAndDownload(w.alice, w.bob);
    expect(offered[0]?.[0]).toBe(w.alice.home.publicAddress);
    expect(w.bob.engine.logs.some((l) => l.msg === 'port mapped on the router')).toBe(false);
    // bob dialled, alice (public, nothing mapped) accepted: TCP direct on both sides.
    await waitForConnection(await engineStates(cleanup, w.bob), 'tcpDirect', 'bob');
    await waitForConnection(await engineStates(cleanup, w.alice), 'tcpDirect', 'alice');
  });
});

describe.skipIf(unavailable !== null)(
  'lab scenario e2: both behind NAT, only the sharer’s router forwards her port (by hand), no STUN at the downloader → ticket admission',
  () => {
    const cleanup = new Cleanup();
    let w: World;

    beforeAll(async () => {
      // alice's router forwards TCP 6881 to her server (the user's own router config); her gateway
      // learns her router's address by STUN. bob: plain NAT, no STUN (Prosody offers none, none
      // configured), so he announces only his LAN address and connects from his router's address.
      w = await startWorld(cleanup, {
        homes: [{ name: 'alice', forwardPorts: [6881] }, { name: 'bob' }],
        gatewayEnv: { alice: { BITWEEN_STUN_SERVER: '203.0.113.1:3478' } },
        engineEnv: { alice: { BITWEEN_TORRENT_PORT: '6881' } },
      });
    });
    afterAll(() => cleanup.run());

    it('bob downloads alice’s 32 MiB share through her forwarded port; she admits him by ticket from his router’s address', async () => {
      const states = { alice: await engineStates(cleanup, w.alice), bob: await engineStates(cleanup, w.bob) };
      const { offered } = await shareAndDownload(w.alice, w.bob);
      expect(offered[0]).toEqual([w.alice.home.publicAddress, 6881]);
      // bob dialled (tcpDirect), alice accepted a wire from 203.0.113.20 (not an announced address)
      // and admitted it by proof; nothing went over WebRTC (no STUN/TURN anywhere).
      await waitForConnection(states.bob, 'tcpDirect', 'bob');
      const alice = await waitFor(
        async () => {
          const [s] = await states.alice();
          return s?.admission && s.admission.admitted > 0 ? s : null;
        },
        { what: 'alice to count bob admitted' },
      );
      expect(alice.connections?.webrtcDirect ?? 0).toBe(0);
      expect(alice.connections?.webrtcRelayed ?? 0).toBe(0);
      expect(
        w.alice.engine.logs.some(
          (l) =>
            l.msg === 'admitted a peer' &&
            unmapped(l['remote']) === w.bob.home.publicAddress &&
            l['by'] === 'proof',
        ),
      ).toBe(true);
    });
  },
);

describe.skipIf(unavailable !== null)(
  'lab scenario e2 (mirror): only the downloader’s router forwards his port → connection reversal',
  () => {
    const cleanup = new Cleanup();
    let w: World;

    beforeAll(async () => {
      // bob's router forwards TCP 6881 to his server and he learns his router's address by STUN;
      // alice (the sharer) is behind plain NAT, unreachable. No STUN/TURN for WebRTC: the only way
      // is alice dialling bob back when he asks over XMPP.
      w = await startWorld(cleanup, {
        homes: [{ name: 'alice' }, { name: 'bob', forwardPorts: [6881] }],
        gatewayEnv: { bob: { BITWEEN_STUN_SERVER: '203.0.113.1:3478' } },
        engineEnv: { bob: { BITWEEN_TORRENT_PORT: '6881' } },
      });
    });
    afterAll(() => cleanup.run());

    it('alice dials bob back when he asks for her 32 MiB share, bytes checked', async () => {
      const states = { alice: await engineStates(cleanup, w.alice), bob: await engineStates(cleanup, w.bob) };
      await shareAndDownload(w.alice, w.bob);
      // alice dialled (tcpDirect) after bob's rendezvous request; bob admitted her by proof.
      const alice = await waitForConnection(states.alice, 'tcpDirect', 'alice');
      expect(alice.webrtcDirect + alice.webrtcRelayed).toBe(0);
      expect(w.bob.engine.logs.some((l) => /^rendezvous: asking a contact/.test(l.msg))).toBe(true);
      expect(
        w.bob.engine.logs.some(
          (l) =>
            l.msg === 'admitted a peer' &&
            unmapped(l['remote']) === w.alice.home.publicAddress &&
            l['by'] === 'proof',
        ),
      ).toBe(true);
    });
  },
);
