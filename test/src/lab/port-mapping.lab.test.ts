import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { repoRoot } from '../harness/service.js';
import { startLab, type Lab } from './lab.js';
import { labUnavailable, listNamespaces, runIn } from './netns.js';
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
        { name: 'carol' }, // plain NAT, no UPnP
      ],
    });
  });
  afterAll(() => cleanup.run());

  it('keeps the lab inside its own namespaces, named for this run', async () => {
    const mine = (await listNamespaces()).filter((n) => n.startsWith(lab.prefix));
    expect(mine.sort()).toEqual(
      ['inet', 'rtr-alice', 'rtr-bob', 'rtr-carol', 'srv-alice', 'srv-bob', 'srv-carol']
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
});
