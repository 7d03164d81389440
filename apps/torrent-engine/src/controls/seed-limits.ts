import type { SeedLimits } from '@bitween/messages';

/** Transmission's defaults for a torrent's own limits (used when its mode is `single`). */
export const DEFAULT_SEED_LIMITS: SeedLimits = {
  ratioMode: 'global',
  ratio: 2,
  idleMode: 'global',
  idleMinutes: 30,
};

export interface SeedFacts {
  limits: SeedLimits;
  /** The engine settings' global limits (null: none). */
  globalRatio: number | null;
  globalIdleMinutes: number | null;
  uploadedEver: number;
  downloadedEver: number;
  /** Bytes of the wanted files: the ratio's base when nothing was downloaded (a share of our own). */
  sizeWhenDone: number;
  /** ms without piece data sent or received while seeding. */
  idleMs: number;
}

/** The ratio limit in force, null for none. */
export function ratioLimit(f: Pick<SeedFacts, 'limits' | 'globalRatio'>): number | null {
  if (f.limits.ratioMode === 'unlimited') return null;
  return f.limits.ratioMode === 'single' ? f.limits.ratio : f.globalRatio;
}

export function idleLimitMinutes(f: Pick<SeedFacts, 'limits' | 'globalIdleMinutes'>): number | null {
  if (f.limits.idleMode === 'unlimited') return null;
  return f.limits.idleMode === 'single' ? f.limits.idleMinutes : f.globalIdleMinutes;
}

/** Transmission's ratio: uploaded over downloaded, or over the size when nothing was downloaded. */
export function seedRatio(uploadedEver: number, downloadedEver: number, sizeWhenDone: number): number {
  const base = downloadedEver > 0 ? downloadedEver : sizeWhenDone;
  return base > 0 ? uploadedEver / base : 0;
}

/** Which limit a seeding torrent has reached (Transmission then stops it), or null. */
export function reachedSeedLimit(f: SeedFacts): 'ratio' | 'idle' | null {
  const ratio = ratioLimit(f);
  if (ratio !== null && seedRatio(f.uploadedEver, f.downloadedEver, f.sizeWhenDone) >= ratio) return 'ratio';
  const idle = idleLimitMinutes(f);
  if (idle !== null && f.idleMs >= idle * 60_000) return 'idle';
  return null;
}
