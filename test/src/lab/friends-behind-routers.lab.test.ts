import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineRegistry } from '@bitween/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SharesResult, TorrentsResult } from '../harness/api-results.js';
import { Cleanup } from '../harness/cleanup.js';
import { silentLogger } from '../harness/engine-env.js';
import { sha256File, writeRandomFile } from '../harness/files.js';
import { startProsody } from '../harness/prosody.js';
import { waitFor } from '../harness/wait.js';
import type { ScriptProcess } from '../harness/service.js';
import { startHomeStack, type HomeStack } from './home-stack.js';
import { startLab, type HomeOptions, type Lab } from './lab.js';
import { labUnavailable } from './netns.js';

/**
 * Issue 19's scenarios in the network lab: two friends, each with a whole bitween (NATS, engine,
 * gateway, api) on a home server, the XMPP server (Prosody) and a STUN server (coturn) in the
 * lab's internet; a share downloaded with its bytes checked.
 */

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;

interface World {
  lab: Lab;
  alice: HomeStack;
  bob: HomeStack;
}

async function startWorld(
  cleanup: Cleanup,
  homes: [HomeOptions, HomeOptions],
  env: { alice?: Record<string, string>; bob?: Record<string, string> } = {},
): Promise<World> {
  const started = Date.now();
  const lab = await startLab(cleanup, { homes });
  const prosody = await startProsody(cleanup, {
    accounts: [
      { user: 'alice', password: 'alice-pw' },
      { user: 'bob', password: 'bob-pw' },
    ],
    friends: ['alice', 'bob'],
    netns: lab.internet.ns,
    address: lab.internet.address,
  });
  const [alice, bob] = await Promise.all(
    (['alice', 'bob'] as const).map((user) =>
      startHomeStack(cleanup, {
        home: lab.homes[user]!,
        user,
        password: `${user}-pw`,
        prosody,
        gatewayEnv: env[user] ?? {},
      }),
    ),
  );
  await Promise.all(
    [alice!, bob!].map((n) =>
      n.gateway.waitForLog((l) => l.msg === 'XMPP online', { what: `${n.user} online` }),
    ),
  );
  console.log(`lab and two bitweens up in ${Date.now() - started} ms`);
  return { lab, alice: alice!, bob: bob! };
}

/** `sharer` shares SIZE random bytes, `downloader` downloads them by hash; timings and what was offered. */
async function shareAndDownload(sharer: HomeStack, downloader: HomeStack) {
  const name = `from-${sharer.user}.bin`;
  const path = join(sharer.dirs.shares, name);
  const sha256 = await writeRandomFile(path, SIZE);
  const t0 = Date.now();
  expect(await sharer.rpc.result('bt.add_path', { path })).toBe(true);
  const { torrents } = await sharer.rpc.result<TorrentsResult>('bt.get_torrents');
  const hash = torrents.find((t) => t.name === name)!.hash;

  const offered = await waitFor(
    async () => {
      const { shares } = await downloader.rpc.result<SharesResult>('xmpp.get_shares');
      const resource = Object.values(shares[sharer.jid] ?? {}).find((r) =>
        Object.values(r.shares).some((s) => s.hash === hash),
      );
      return resource ? resource.ip_v4 : null;
    },
    { what: `${sharer.user}'s share to appear at ${downloader.user}`, timeoutMs: 60_000, intervalMs: 100 },
  );
  const visibleMs = Date.now() - t0;

  const complete = downloader.engine.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
    what: `${downloader.user} to complete the download`,
    timeoutMs: 120_000,
  });
  const t1 = Date.now();
  expect(
    await downloader.rpc.result('bt.add_torrent_by_hash', { hash, save_path: downloader.dirs.downloads }),
  ).toBe(true);
  await complete;
  const downloadMs = Date.now() - t1;
  const file = join(downloader.dirs.downloads, name);
  expect((await stat(file)).size).toBe(SIZE);
  expect(await sha256File(file)).toBe(sha256);
  console.log(
    `${SIZE / MiB} MiB ${sharer.user} → ${downloader.user}: share visible after ${visibleMs} ms, downloaded in ${downloadMs} ms; offered ${JSON.stringify(offered)}`,
  );
  return { hash, offered, visibleMs, downloadMs };
}

describe.skipIf(unavailable !== null)(
  'lab scenario a: both routers run miniupnpd → TCP through the mapped port, no router configured by hand',
  () => {
    const cleanup = new Cleanup();
    let w: World;

    beforeAll(async () => {
      w = await startWorld(cleanup, [
        { name: 'alice', upnp: true },
        { name: 'bob', upnp: true },
      ]);
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
        const nc = await n.nats.connect('test', { servers: n.natsUrl });
        const registry = await EngineRegistry.open(nc, silentLogger);
        const entry = await waitFor(
          async () => (await registry.live()).find((e) => e.state.portMapping?.state === 'mapped'),
          { what: `${n.user}'s registry entry to show the mapping` },
        );
        expect(entry.state.portMapping).toMatchObject({
          protocol: 'upnp-igd',
          external: { address: n.home.publicAddress, port },
          internalPort,
          lastError: null,
        });
        expect(entry.state.portMapping?.expiresAt).toBeGreaterThan(Date.now());
        expect(entry.state.endpoints).toEqual([
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

describe.skipIf(unavailable !== null)('lab scenario e: one side on a public address → direct TCP', () => {
  const cleanup = new Cleanup();
  let w: World;

  beforeAll(async () => {
    // alice: a server with a public address, no NAT; bob: behind plain NAT without UPnP, his
    // gateway learns his router's address by STUN (BITWEEN_STUN_SERVER), so alice admits him.
    w = await startWorld(cleanup, [{ name: 'alice', nat: 'none' }, { name: 'bob' }], {
      bob: { BITWEEN_STUN_SERVER: '203.0.113.1:3478' },
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
  });
});
