import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup } from '../harness/cleanup.js';
import { waitFor } from '../harness/wait.js';
import { startLab, type Lab } from './lab.js';
import { labUnavailable } from './netns.js';
import { listenIn, tcpProbe } from './probe.js';

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

/** The lab's IPv6 (2001:db8::/32, routed without NAT): the ground for issue 19's scenario d. */
describe.skipIf(unavailable !== null)('network lab: IPv6 routed through stateful home firewalls', () => {
  const cleanup = new Cleanup();
  let lab: Lab;

  beforeAll(async () => {
    lab = await startLab(cleanup, { homes: [{ name: 'alice' }, { name: 'bob', nat: 'none' }], ipv6: true });
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
});
