import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED_LIMITS, reachedSeedLimit, seedRatio } from './seed-limits.js';

const base = {
  limits: DEFAULT_SEED_LIMITS,
  globalRatio: null,
  globalIdleMinutes: null,
  uploadedEver: 0,
  downloadedEver: 1000,
  sizeWhenDone: 1000,
  idleMs: 0,
};

describe('seeding limits', () => {
  it('ratio over downloaded, or over the size for a share of our own', () => {
    expect(seedRatio(500, 1000, 4000)).toBe(0.5);
    expect(seedRatio(500, 0, 250)).toBe(2);
    expect(seedRatio(500, 0, 0)).toBe(0);
  });

  it('global mode follows the engine settings; none set: never', () => {
    expect(reachedSeedLimit({ ...base, uploadedEver: 10_000 })).toBeNull();
    expect(reachedSeedLimit({ ...base, globalRatio: 1, uploadedEver: 999 })).toBeNull();
    expect(reachedSeedLimit({ ...base, globalRatio: 1, uploadedEver: 1000 })).toBe('ratio');
    expect(reachedSeedLimit({ ...base, globalIdleMinutes: 1, idleMs: 60_000 })).toBe('idle');
  });

  it("single mode uses the torrent's values; unlimited never stops", () => {
    const single = { ...DEFAULT_SEED_LIMITS, ratioMode: 'single' as const, ratio: 0.5 };
    expect(reachedSeedLimit({ ...base, globalRatio: 10, limits: single, uploadedEver: 500 })).toBe('ratio');
    const unlimited = {
      ...DEFAULT_SEED_LIMITS,
      ratioMode: 'unlimited' as const,
      idleMode: 'unlimited' as const,
    };
    expect(
      reachedSeedLimit({ ...base, globalRatio: 0, globalIdleMinutes: 1, limits: unlimited, idleMs: 1e9 }),
    ).toBeNull();
  });
});
