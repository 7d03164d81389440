import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnChild } from '../harness/child.js';
import { Cleanup } from '../harness/cleanup.js';
import { repoRoot } from '../harness/service.js';
import { startLab, type Lab } from './lab.js';
import { LAB_PREFIX, labUnavailable, listNamespaces, removeStaleLabs, run, runIn, tool } from './netns.js';
import { listenIn, tcpProbe } from './probe.js';

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const mapperModule = pathToFileURL(
  join(repoRoot, 'apps/torrent-engine/dist/port-mapping/mapper-client.js'),
).href;
const script = join(repoRoot, 'test/src/lab/fixtures/map-port.mjs');

interface MapResult {
  ok: boolean;
  mapping?: {
    protocol: string;
    externalAddress: string;
    externalPort: number;
    internalPort: number;
    leaseMs: number;
  };
  error?: string;
  noGateway?: boolean;
  unmapped?: boolean;
}

/** The engine's mapping client, run once inside `ns`. */
async function mapFrom(ns: string, port: number, opts: { leaseMs?: number; unmap?: boolean } = {}) {
  const out = await runIn(
    ns,
    process.execPath,
    [script, mapperModule, String(port), String(opts.leaseMs ?? 600_000), ...(opts.unmap ? ['unmap'] : [])],
    30_000,
  );
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MapResult);
}

describe.skipIf(unavailable !== null)('network lab: port mapping on real routers (miniupnpd)', () => {
  const cleanup = new Cleanup();
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(cleanup, {
      homes: [
        { name: 'alice', upnp: true },
        { name: 'bob', upnp: 'nat-pmp-only' },
        { name: 'carol', forwardPorts: [8601] }, // plain NAT, no UPnP, one port forwarded by hand
        { name: 'dave', upnp: true, igdV1Only: true },
        { name: 'erin', nat: 'symmetric' },
        { name: 'frank', upnp: true, igdV1Only: true, natPmp: false },
      ],
    });
  });
  afterAll(() => cleanup.run());

  it('keeps the lab inside its own namespaces, named for this run', async () => {
    const mine = (await listNamespaces()).filter((n) => n.startsWith(lab.prefix));
    expect(mine.sort()).toEqual(
      ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']
        .flatMap((h) => [`rtr-${h}`, `srv-${h}`])
        .concat('inet')
        .map((r) => `${lab.prefix}-${r}`)
        .sort(),
    );
    // A home server reaches the internet through its router; the internet reaches neither the
    // server's private address nor, unsolicited, a port on the router that nothing forwards.
    const carol = lab.homes.carol!;
    await listenIn(cleanup, lab.internet.ns, lab.internet.address, 7000);
    await listenIn(cleanup, carol.serverNs, '0.0.0.0', 7001);
    expect(await tcpProbe(carol.serverNs, lab.internet.address, 7000)).toBe('connected');
    expect(await tcpProbe(lab.internet.ns, carol.serverAddress, 7001, 1_000)).toMatch(/timeout|unreachable/);
    expect(await tcpProbe(lab.internet.ns, carol.publicAddress, 7001, 1_000)).toBe('timeout');
  });

  it('maps a port with UPnP-IGD: the router forwards the granted external port to the server', async () => {
    const [result] = await mapFrom(lab.homes.alice!.serverNs, 8101);
    expect(result).toMatchObject({
      ok: true,
      mapping: {
        protocol: 'upnp-igd',
        externalAddress: '203.0.113.10',
        externalPort: 8101,
        internalPort: 8101,
      },
    });
    expect(await lab.upnpRedirects('alice')).toContainEqual({ externalPort: 8101, to: '192.168.1.2:8101' });
    // A connection from the internet to the router's port now reaches the server.
    await listenIn(cleanup, lab.homes.alice!.serverNs, '0.0.0.0', 8101);
    expect(await tcpProbe(lab.internet.ns, '203.0.113.10', 8101)).toBe('connected');
  });

  it('maps and removes a port with NAT-PMP when the router has no UPnP', async () => {
    const results = await mapFrom(lab.homes.bob!.serverNs, 8102, { leaseMs: 300_000, unmap: true });
    expect(results[0]).toMatchObject({
      ok: true,
      mapping: { protocol: 'nat-pmp', externalAddress: '203.0.113.20', externalPort: 8102, leaseMs: 300_000 },
    });
    expect(results[1]).toEqual({ unmapped: true });
    expect(await lab.upnpRedirects('bob')).toEqual([]);
  });

  it('says no gateway answered behind a router without UPnP or NAT-PMP', async () => {
    const [result] = await mapFrom(lab.homes.carol!.serverNs, 8103);
    expect(result).toMatchObject({ ok: false, noGateway: true });
    expect(result?.error).toMatch(/NAT-PMP at 192\.168\.3\.1: no answer/);
  });

  it('reports the external port the router granted when ours is taken there (UPnP-IGD and NAT-PMP)', async () => {
    for (const [home, protocol] of [
      ['alice', 'upnp-igd'],
      ['bob', 'nat-pmp'],
    ] as const) {
      // Something on the router itself listens on 8201: miniupnpd grants another port.
      await listenIn(cleanup, lab.homes[home]!.router!.ns, '0.0.0.0', 8201);
      const [result] = await mapFrom(lab.homes[home]!.serverNs, 8201);
      expect(result).toMatchObject({ ok: true, mapping: { protocol, internalPort: 8201 } });
      expect(result?.mapping?.externalPort).not.toBe(8201);
      expect(await lab.upnpRedirects(home)).toContainEqual({
        externalPort: result?.mapping?.externalPort,
        to: `${lab.homes[home]!.serverAddress}:8201`,
      });
    }
  });

  it('maps two ports from one host at the same moment (engines share NAT-PMP’s client port 5350)', async () => {
    for (const home of ['alice', 'bob'] as const) {
      const results = await Promise.all([8301, 8302].map((port) => mapFrom(lab.homes[home]!.serverNs, port)));
      for (const [i, [result]] of results.entries()) {
        expect(result).toMatchObject({
          ok: true,
          mapping: { internalPort: 8301 + i, externalPort: 8301 + i },
        });
      }
    }
  });

  it('maps through NAT-PMP on a router that offers UPnP-IGD v1 and NAT-PMP (NAT-PMP is asked before IGD v1)', async () => {
    const [result] = await mapFrom(lab.homes.dave!.serverNs, 8501);
    expect(result).toMatchObject({
      ok: true,
      mapping: { protocol: 'nat-pmp', externalAddress: '203.0.113.40' },
    });
  });

  it('maps with IGD v1 AddPortMapping on a router that offers only UPnP-IGD v1 (no NAT-PMP/PCP): the internet gets in', async () => {
    const frank = lab.homes.frank!;
    const [result] = await mapFrom(frank.serverNs, 8701);
    expect(result).toMatchObject({
      ok: true,
      mapping: {
        protocol: 'upnp-igd',
        externalAddress: '203.0.113.60',
        externalPort: 8701,
        internalPort: 8701,
      },
    });
    expect(await lab.upnpRedirects('frank')).toContainEqual({ externalPort: 8701, to: '192.168.6.2:8701' });
    await listenIn(cleanup, frank.serverNs, '0.0.0.0', 8701);
    expect(await tcpProbe(lab.internet.ns, frank.publicAddress, 8701)).toBe('connected');
    expect(await lab.mappedPackets('frank')).toBeGreaterThan(0);
  });

  it('asks an IGD v1 router for another external port when ours is taken there, and removes the mapping', async () => {
    const frank = lab.homes.frank!;
    await listenIn(cleanup, frank.router!.ns, '0.0.0.0', 8702); // the router itself listens on 8702
    const [result, unmapped] = await mapFrom(frank.serverNs, 8702, { unmap: true });
    expect(result).toMatchObject({ ok: true, mapping: { protocol: 'upnp-igd', internalPort: 8702 } });
    expect(result?.mapping?.externalPort).not.toBe(8702);
    expect(unmapped).toEqual({ unmapped: true });
    const left = await lab.upnpRedirects('frank');
    expect(left.map((r) => r.externalPort)).not.toContain(result?.mapping?.externalPort);
    expect(left).toContainEqual({ externalPort: 8701, to: '192.168.6.2:8701' }); // the other test's mapping stays
  });

  it('routers: a hand port forward lets the internet in; plain MASQUERADE keeps source ports, --random-fully does not', async () => {
    const carol = lab.homes.carol!;
    await listenIn(cleanup, carol.serverNs, '0.0.0.0', 8601);
    expect(await tcpProbe(lab.internet.ns, carol.publicAddress, 8601)).toBe('connected');

    const listener = await listenIn(cleanup, lab.internet.ns, lab.internet.address, 7100);
    const seen = new Set<string>();
    const seenFrom = async (ns: string, localPort: number) => {
      expect(await tcpProbe(ns, lab.internet.address, 7100, 2_000, localPort)).toBe('connected');
      const line = await listener.output.wait((l) => l.startsWith('from ') && !seen.has(l), {
        what: 'the connection at the listener',
        timeoutMs: 5_000,
      });
      seen.add(line);
      return line.slice('from '.length);
    };
    expect(await seenFrom(carol.serverNs, 40_123)).toBe(`${carol.publicAddress}:40123`);
    const erin = lab.homes.erin!;
    const ports: number[] = [];
    for (const local of [40_124, 40_125, 40_126]) {
      const from = await seenFrom(erin.serverNs, local);
      expect(from.startsWith(`${erin.publicAddress}:`)).toBe(true);
      ports.push(Number(from.split(':')[1]));
    }
    // --random-fully: the router picks every source port (all three kept would be ~1 in 10^13)
    expect(ports.filter((p, i) => p === 40_124 + i)).toHaveLength(0);
  });

  it("removes a crashed run's namespaces, and what still runs in them, at the next start", async () => {
    // A process that has exited: its pid names the "crashed" run.
    const gone = await spawnChild(process.execPath, ['-e', '0']);
    await gone.exited;
    const stale = `${LAB_PREFIX}${gone.pid}-dead-inet`;
    await run(tool('ip'), ['netns', 'add', stale]);
    const left = await spawnChild(tool('ip'), ['netns', 'exec', stale, 'sleep', '600']);
    expect(await listNamespaces()).toContain(stale);
    expect(await removeStaleLabs()).toContain(stale);
    expect(await listNamespaces()).not.toContain(stale);
    expect(await left.exited).toBeNull(); // SIGKILLed
    // ours (alive) are kept
    expect((await listNamespaces()).filter((n) => n.startsWith(lab.prefix))).toHaveLength(13);
  });
});
