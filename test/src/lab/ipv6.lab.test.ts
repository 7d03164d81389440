import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { repoRoot } from '../harness/service.js';
import { waitFor } from '../harness/wait.js';
import { startLab, type Lab } from './lab.js';
import { labUnavailable, runIn } from './netns.js';
import { listenIn, tcpProbe } from './probe.js';

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const distUrl = `${pathToFileURL(join(repoRoot, 'apps/torrent-engine/dist/port-mapping')).href}/`;
const script = join(repoRoot, 'test/src/lab/fixtures/pinhole.mjs');

interface PinholeResult {
  ok?: boolean;
  mapping?: { protocol: string; externalAddress: string; externalPort: number; leaseMs: number };
  error?: string;
  noGateway?: boolean;
  unmapped?: boolean;
}

/** The engine's PCP pinhole client, run once inside `ns` for `address` and `port`. */
async function pinholeFrom(ns: string, address: string, port: number, opts: { unmap?: boolean } = {}) {
  const out = await runIn(
    ns,
    process.execPath,
    [script, distUrl, address, String(port), '600000', ...(opts.unmap ? ['unmap'] : [])],
    30_000,
  );
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PinholeResult);
}

/** The lab's IPv6 (2001:db8::/32, routed without NAT): the ground for issue 19's scenario d. */
describe.skipIf(unavailable !== null)('network lab: IPv6 routed through stateful home firewalls', () => {
  const cleanup = new Cleanup();
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(cleanup, {
      homes: [{ name: 'alice' }, { name: 'bob', nat: 'none' }, { name: 'carol', upnp: true }],
      ipv6: true,
    });
  });
  afterAll(() => cleanup.run());

  it('gives every server a global IPv6 address and routes between the homes', async () => {
    const alice = lab.homes.alice!;
    const bob = lab.homes.bob!;
    expect(alice.serverAddress6).toBe('2001:db8:1::2');
    expect(bob.serverAddress6).toBe('2001:db8::102');
    await listenIn(cleanup, lab.internet.ns, lab.internet.address6!, 7200);
    await listenIn(cleanup, bob.serverNs, '::', 7201);
    // A fresh link may still be resolving its neighbours: the route holds once a probe connects.
    const connects = (host: string, port: number) =>
      waitFor(async () => (await tcpProbe(alice.serverNs, host, port)) === 'connected', {
        what: `alice's server to reach [${host}]:${port}`,
        timeoutMs: 20_000,
      });
    await connects(lab.internet.address6!, 7200);
    await connects(bob.serverAddress6!, 7201);
  });

  it("lets nothing unsolicited through a home router's IPv6 firewall", async () => {
    const alice = lab.homes.alice!;
    await listenIn(cleanup, alice.serverNs, '::', 7202);
    expect(await tcpProbe(lab.homes.bob!.serverNs, alice.serverAddress6!, 7202, 1_000)).toBe('timeout');
    expect(await tcpProbe(lab.internet.ns, alice.serverAddress6!, 7202, 1_000)).toBe('timeout');
  });

  it('opens an IPv6 pinhole with PCP on a router running miniupnpd: a friend on the internet gets in, until it is removed', async () => {
    const carol = lab.homes.carol!;
    const bob = lab.homes.bob!;
    await listenIn(cleanup, carol.serverNs, '::', 7203);
    expect(await tcpProbe(bob.serverNs, carol.serverAddress6!, 7203, 1_000)).toBe('timeout'); // closed before

    const [result] = await pinholeFrom(carol.serverNs, carol.serverAddress6!, 7203);
    expect(result).toMatchObject({
      ok: true,
      mapping: { protocol: 'pcp', externalAddress: '2001:db8:3::2', externalPort: 7203 },
    });
    expect(result?.mapping?.leaseMs).toBeGreaterThanOrEqual(120_000); // miniupnpd's min_lifetime
    expect(await lab.pinholes6('carol')).toEqual(['[2001:db8:3::2]:7203']);
    expect(await tcpProbe(bob.serverNs, carol.serverAddress6!, 7203)).toBe('connected');
    // only that port: the rest of the firewall still keeps strangers out
    await listenIn(cleanup, carol.serverNs, '::', 7204);
    expect(await tcpProbe(bob.serverNs, carol.serverAddress6!, 7204, 1_000)).toBe('timeout');

    // Renewed with the same nonce (as an engine after a restart), then removed.
    const [renewed, removed] = await pinholeFrom(carol.serverNs, carol.serverAddress6!, 7203, {
      unmap: true,
    });
    expect(renewed).toMatchObject({ ok: true, mapping: { externalPort: 7203 } });
    expect(removed).toEqual({ unmapped: true });
    expect(await lab.pinholes6('carol')).toEqual([]);
    expect(await tcpProbe(bob.serverNs, carol.serverAddress6!, 7203, 1_000)).toBe('timeout');
  });

  it('says no PCP server answered behind a router without one', async () => {
    const alice = lab.homes.alice!;
    const [result] = await pinholeFrom(alice.serverNs, alice.serverAddress6!, 7205);
    expect(result).toMatchObject({ ok: false, noGateway: true });
    expect(result?.error).toMatch(/PCP at 2001:db8:1:0:0:0:0:1: no answer/);
  });
});
