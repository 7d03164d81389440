import { createHash } from 'node:crypto';
import { EngineRegistry, type EngineState } from '@bitween/messages';
import { it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startNats,
  startProsody,
  startService,
  type ServiceProcess,
} from '../test/src/harness/index.js';

/**
 * How long a share list takes from an engine's registry entry to a friend's gateway, and how
 * many bytes it costs on the wire, through a real Prosody 0.12 on loopback (real gateways, real
 * NATS; the engine state is written to the registry directly). Goal: 10,000 shares < 2 s.
 *
 *   npx nx run-many -t build && npx vitest run --config bench/vitest.config.ts
 */
const SIZES = [100, 1_000, 10_000];
const CAPS = [64 * 1024, 256 * 1024]; // the gateway's default; Prosody 0.12's c2s_stanza_size_limit
const ROUNDS = 3;

it('share list publish → arrival', async () => {
  const rows: string[] = [];
  for (const cap of CAPS) {
    const cleanup = new Cleanup();
    try {
      const prosody = await startProsody(cleanup, {
        accounts: ['alice', 'bob'].map((user) => ({ user, password: `${user}-pw` })),
        friends: ['alice', 'bob'],
      });
      const nats = await Promise.all([startNats(cleanup), startNats(cleanup)]);
      const gateway = (user: string, i: number) =>
        startService(cleanup, {
          name: 'xmpp-gateway',
          label: `bench-${user}`,
          env: {
            BITWEEN_NATS_URL: nats[i]!.url,
            BITWEEN_LOG_LEVEL: 'debug',
            BITWEEN_XMPP_JID: prosody.jid(user),
            BITWEEN_XMPP_PASSWORD: `${user}-pw`,
            BITWEEN_XMPP_SERVICE: prosody.service,
            BITWEEN_XMPP_MAX_STANZA_BYTES: String(cap),
          },
        });
      const [alice, bob] = (await Promise.all([gateway('alice', 0), gateway('bob', 1)])) as [
        ServiceProcess,
        ServiceProcess,
      ];
      await Promise.all(
        [alice, bob].map((g) => g.waitForLog((l) => l.msg === 'XMPP online', { what: 'online' })),
      );
      const nc = await nats[0]!.connect();
      cleanup.add('nats', () => nc.close());
      const registry = await EngineRegistry.open(nc, silentLogger);
      for (const n of SIZES) {
        for (let round = 0; round < ROUNDS; round++) {
          const state: EngineState = {
            engineId: 'bench',
            version: 'bench',
            endpoints: [{ address: '127.0.0.1', port: 6881 }],
            torrents: Array.from({ length: n }, (_, i) => ({
              hash: createHash('sha1').update(`${n}/${round}/${i}`).digest('hex'),
              name: `video-${i}.mkv`,
              size: 1_000_000 + i,
            })),
            heartbeatMs: 600_000,
          };
          const seen = bob.logs.length;
          const seenAlice = alice.logs.length;
          const started = Date.now();
          await registry.announce(state);
          const got = await bob.waitForLog(
            (l) => l.msg === 'received a share list' && l.shares === n && bob.logs.indexOf(l) >= seen,
            { what: `${n} shares at bob` },
          );
          const ms = Date.parse(got.time as string) - started;
          const pub = await alice.waitForLog(
            (l) =>
              l.msg === 'published our share list' && l.shares === n && alice.logs.indexOf(l) >= seenAlice,
            { what: `alice to publish ${n} shares` },
          );
          rows.push(
            `| ${cap / 1024} KiB | ${n} | ${round + 1} | ${ms} | ${String(pub.ms)} | ${String(pub.bytes)} | ${String(pub.currentBytes)} | ${Number(pub.chunks) + 1} |`,
          );
        }
      }
    } finally {
      await cleanup.run();
    }
  }
  console.log(
    [
      '| stanza cap | shares | round | registry → friend (ms) | publish (ms) | bytes on the wire | `current` bytes | stanzas |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
});
