import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, repoRoot, startNode, startProsody, waitFor, type BitweenNode } from '../harness/index.js';

/*
 * "Can my friends reach me?" end to end: the gateway offers a STUN server from its configuration
 * (BITWEEN_ICE_SERVERS) over xmpp.ice-servers, the engine (on loopback, port mapping off) judges
 * itself reachable through hole punching, and the api's status, its Prometheus metrics and the
 * `bitween reachability` CLI say so. The STUN server is on loopback where nothing listens: nothing
 * here leaves the host, and the verdict is about what is known, not tested.
 */

const run = promisify(execFile);
const CLI = join(repoRoot, 'apps', 'cli', 'dist', 'main.js');

interface EngineStatus {
  engineId: string;
  reachability: { verdict: string; stun: boolean; turn: boolean } | null;
}

describe('reachability from the STUN/TURN servers the gateway offers', () => {
  const cleanup = new Cleanup();
  let dana: BitweenNode;

  beforeAll(async () => {
    const prosody = await startProsody(cleanup, {
      accounts: [{ user: 'dana', password: 'dana-pw' }],
      friends: [],
    });
    dana = await startNode(cleanup, {
      user: 'dana',
      password: 'dana-pw',
      prosody,
      name: 'reach',
      env: { BITWEEN_ICE_SERVERS: 'stun:127.0.0.1:3478', BITWEEN_STUN_SERVER: 'off' },
    });
  });

  afterAll(() => cleanup.run());

  it('the engine learns the STUN server and judges itself reachable through hole punching', async () => {
    const engine = await waitFor(
      async () => {
        const { engines } = await dana.rest.get<{ engines: EngineStatus[] }>('/v1/status');
        const e = engines[0];
        return e?.reachability && e.reachability.verdict !== 'unknown' && e.reachability.stun ? e : null;
      },
      { what: "dana's engine knows the STUN server" },
    );
    expect(engine.reachability).toMatchObject({ verdict: 'hole-punching', stun: true, turn: false });

    const metrics = await fetch(`${dana.apiUrl}/metrics`, { headers: { 'x-api-key': dana.apiKey } });
    const text = await metrics.text();
    const series = (verdict: string) =>
      new RegExp(
        `^bitween_reachable\\{engine="${engine.engineId}",verdict="${verdict}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1];
    expect(series('hole-punching')).toBe('1');
    expect(series('unreachable')).toBe('0');

    const { stdout } = await run(process.execPath, [CLI, 'reachability'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        BITWEEN_API_URL: dana.apiUrl,
        BITWEEN_DATA_DIR: dana.dirs.apiData,
      },
    });
    expect(stdout).toContain(`${engine.engineId}: Reachable only through hole punching`);
    expect(stdout).toMatch(/STUN \/ TURN: +yes \/ no/);
  });
});
