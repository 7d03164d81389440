import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type ConnectionCounters, type EngineState } from '@bitween/messages';
import { EngineRegistry } from '@bitween/bus';
import { expect } from 'vitest';
import type { Cleanup } from '../harness/cleanup.js';
import { silentLogger } from '../harness/engine-env.js';
import { sha256File } from '../harness/files.js';
import { startProsody, type Prosody } from '../harness/prosody.js';
import { shareRandomFile, waitForShare } from '../harness/shares.js';
import { waitFor } from '../harness/wait.js';
import { startHomeStack, type HomeStack } from './home-stack.js';
import { startLab, type HomeOptions, type Lab } from './lab.js';

/**
 * Two friends in the network lab, each with a whole bitween (NATS, engine, gateway, api) on a
 * home server, the XMPP server (Prosody) and STUN/TURN (coturn) in the lab's internet: what the
 * scenario tests (`*.lab.test.ts`) and the benchmark (bench/friends-behind-routers.bench.ts) share.
 */

export const MiB = 1024 * 1024;

/**
 * What the XMPP server tells clients about STUN/TURN (XEP-0215 External Service Discovery):
 * - `none`: nothing (Prosody without mod_external_services);
 * - `stun`: coturn's STUN only (mod_external_services): hole punching, no relay;
 * - `turn`: STUN and TURN with short-lived credentials (mod_turn_external, Prosody 0.12).
 */
export type IceDiscovery = 'none' | 'stun' | 'turn';

export interface WorldOptions {
  homes: [HomeOptions, HomeOptions];
  ipv6?: boolean;
  wanMbit?: number;
  ice?: IceDiscovery;
  /** Extra environment of each side's gateway / engine. */
  gatewayEnv?: { alice?: Record<string, string>; bob?: Record<string, string> };
  engineEnv?: { alice?: Record<string, string>; bob?: Record<string, string> };
  /** More XMPP accounts (password `<user>-pw`), not on anyone's roster. */
  strangers?: string[];
  /** More XMPP accounts (password `<user>-pw`) on alice's and bob's rosters (plain clients of a test). */
  friends?: string[];
}

export interface World {
  lab: Lab;
  prosody: Prosody;
  alice: HomeStack;
  bob: HomeStack;
}

/** Prosody's XEP-0215 configuration for `ice` (modules and global options). */
function iceConfig(lab: Lab, ice: IceDiscovery): { modules: string[]; extraConfig: string } {
  const { turn, stunAddress, stunPort } = lab.internet;
  if (ice === 'stun')
    return {
      modules: ['external_services'],
      extraConfig: `external_services = { { type = "stun"; transport = "udp"; host = "${stunAddress}"; port = ${stunPort} } }\n`,
    };
  if (ice === 'turn')
    return {
      modules: ['turn_external'],
      extraConfig: [
        `turn_external_host = "${turn.host}"`,
        `turn_external_port = ${turn.port}`,
        `turn_external_secret = "${turn.secret}"`,
        'turn_external_ttl = 3600',
        '',
      ].join('\n'),
    };
  return { modules: [], extraConfig: '' };
}

export async function startWorld(cleanup: Cleanup, opts: WorldOptions): Promise<World> {
  const started = Date.now();
  const lab = await startLab(cleanup, {
    homes: opts.homes,
    ...(opts.ipv6 ? { ipv6: true } : {}),
    ...(opts.wanMbit !== undefined ? { wanMbit: opts.wanMbit } : {}),
  });
  const strangers = opts.strangers ?? [];
  const friends = opts.friends ?? [];
  const prosody = await startProsody(cleanup, {
    accounts: ['alice', 'bob', ...friends, ...strangers].map((user) => ({ user, password: `${user}-pw` })),
    friends: ['alice', 'bob', ...friends],
    netns: lab.internet.ns,
    address: lab.internet.address,
    ...iceConfig(lab, opts.ice ?? 'none'),
  });
  const [alice, bob] = await Promise.all(
    (['alice', 'bob'] as const).map((user) =>
      startHomeStack(cleanup, {
        home: lab.homes[user]!,
        user,
        password: `${user}-pw`,
        xmpp: prosody,
        gatewayEnv: opts.gatewayEnv?.[user] ?? {},
        engineEnv: opts.engineEnv?.[user] ?? {},
      }),
    ),
  );
  await Promise.all(
    [alice!, bob!].map((n) =>
      n.gateway.waitForLog((l) => l.msg === 'XMPP online', { what: `${n.user} online` }),
    ),
  );
  console.log(`lab and two bitweens up in ${Date.now() - started} ms`);
  return { lab, prosody, alice: alice!, bob: bob! };
}

// Sharing and seeing a share are the harness's (harness/shares.ts); `share` is their name here.
export { shareRandomFile as share, waitForShare };

/**
 * `sharer` shares `size` random bytes, `downloader` downloads them by hash, bytes checked;
 * timings and what was offered.
 */
export async function shareAndDownload(
  sharer: HomeStack,
  dl: HomeStack,
  size: number,
  opts: { timeoutMs?: number } = {},
) {
  const t0 = Date.now();
  const shared = await shareRandomFile(sharer, `from-${sharer.user}.bin`, size);
  const offered = await waitForShare(dl, sharer, shared.hash);
  const visibleMs = Date.now() - t0;
  const t1 = Date.now();
  await download(dl, shared, opts.timeoutMs ?? 120_000);
  const downloadMs = Date.now() - t1;
  console.log(
    `${size / MiB} MiB ${sharer.user} → ${dl.user}: share visible after ${visibleMs} ms, downloaded in ${downloadMs} ms; offered ${JSON.stringify(offered)}`,
  );
  return { hash: shared.hash, offered: offered.v4, offered6: offered.v6, visibleMs, downloadMs };
}

/** `dl` downloads a shared file by hash and checks its size and bytes. */
export async function download(
  dl: HomeStack,
  shared: { hash: string; sha256: string; name: string; size: number },
  timeoutMs: number,
) {
  const complete = dl.engine.waitForLog((l) => l.msg === 'download complete' && l.hash === shared.hash, {
    what: `${dl.user} to complete the download`,
    timeoutMs,
  });
  expect(
    await dl.rpc.result('bt.add_torrent_by_hash', { hash: shared.hash, save_path: dl.dirs.downloads }),
  ).toBe(true);
  await complete;
  const file = join(dl.dirs.downloads, shared.name);
  expect((await stat(file)).size).toBe(shared.size);
  expect(await sha256File(file)).toBe(shared.sha256);
}

/** The registry entries of a home's live engines (what the gateway publishes, what the api shows). */
export async function engineStates(cleanup: Cleanup, n: HomeStack): Promise<() => Promise<EngineState[]>> {
  const nc = await n.nats.connect('test', { servers: n.natsUrl });
  cleanup.add(`${n.user} registry reader`, () => nc.close());
  const registry = await EngineRegistry.open(nc, silentLogger);
  return async () => (await registry.live()).map((e) => e.state);
}

/** Connections by transport, summed over a home's engines (zeros where an engine does not count them). */
export function sumConnections(states: EngineState[]): ConnectionCounters {
  const sum: ConnectionCounters = { tcpDirect: 0, tcpMapped: 0, webrtcDirect: 0, webrtcRelayed: 0 };
  for (const s of states) {
    for (const k of Object.keys(sum) as (keyof ConnectionCounters)[]) sum[k] += s.connections?.[k] ?? 0;
  }
  return sum;
}

/**
 * Waits until a home's engines count a connection of `transport` (the registry entry is refreshed
 * with the engine's heartbeat), and returns all counters.
 */
export async function waitForConnection(
  states: () => Promise<EngineState[]>,
  transport: keyof ConnectionCounters,
  what: string,
): Promise<ConnectionCounters> {
  return waitFor(
    async () => {
      const sum = sumConnections(await states());
      return sum[transport] > 0 ? sum : null;
    },
    { what: `${what} to count a ${transport} connection`, timeoutMs: 60_000, intervalMs: 250 },
  );
}
