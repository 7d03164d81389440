// natsPlacement's claimAll (a restart's claims): who is alive is read once for all of them, and the
// claims overlap instead of running one round trip after the other. Stand-ins for the registry and
// the claims bucket record the calls (the claims' own behaviour is tested against NATS in
// test/src/integration/placement.test.ts).
import type { Bus, ClaimResult, EngineRegistry, RegisteredEngine, TorrentClaims } from '@bitween/bus';
import { describe, expect, it } from 'vitest';
import { natsPlacement } from './placement.js';

describe('natsPlacement.claimAll', () => {
  it('reads the live engines once and keeps several claims in flight, results in order', async () => {
    let liveReads = 0;
    const registry: Pick<EngineRegistry, 'live'> = {
      live: () => {
        liveReads++;
        return Promise.resolve([{ state: { engineId: 'engine-2' } } as RegisteredEngine]);
      },
    };
    let inFlight = 0;
    let maxInFlight = 0;
    const claims = {
      claim: async (hash: string, isAlive: (id: string) => boolean): Promise<ClaimResult> => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // Every claim waits for the next turn of the event loop, like a round trip.
        await new Promise((r) => setImmediate(r));
        inFlight--;
        // Odd hashes are held by engine-2 (alive), the others by engine-3 (not alive).
        const owner = Number.parseInt(hash, 16) % 2 === 1 ? 'engine-2' : 'engine-3';
        return isAlive(owner) ? { won: false, owner } : { won: true };
      },
    } as unknown as TorrentClaims;
    const placement = natsPlacement({ claims, registry, bus: {} as Bus });

    const hashes = Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(40, '0'));
    const results = await placement.claimAll(hashes);

    expect(liveReads).toBe(1);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(results).toEqual(
      hashes.map((_, i) => (i % 2 === 1 ? { won: false, owner: 'engine-2' } : { won: true })),
    );
  });
});
