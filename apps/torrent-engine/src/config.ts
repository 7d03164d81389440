import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { env, loadConfig } from '@bitween/runtime';
import { z } from 'zod';

const IpAddressList = env.list(z.string().refine((s) => isIP(s) !== 0, 'must be IPv4 or IPv6 addresses'));

/** `8000`, `8000-8020` (the first free one is used) or `0` (any free port). */
const PortRange = z
  .string()
  .regex(/^\d{1,5}(-\d{1,5})?$/, 'must be a port (8000), a range (8000-8020) or 0')
  .transform((s) => {
    const [from, to = from] = s.split('-').map(Number) as [number, number?];
    return { from, to };
  })
  .refine((r) => r.from <= r.to && r.to <= 65535, 'must be an ascending range within 0-65535');

const AbsolutePath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');

/** The host name is a fine default id as long as it fits a subject token. */
export function defaultEngineId(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 64) || 'engine'
  );
}

export const EngineConfig = z.object({
  BITWEEN_NATS_URL: env.natsUrl(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  BITWEEN_ENGINE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"')
    .default(defaultEngineId()),
  BITWEEN_TORRENT_PORT: PortRange.default({ from: 8000, to: 8020 }),
  /** Addresses to advertise to friends; detected from the network interfaces when empty. */
  BITWEEN_ANNOUNCE_ADDRESSES: IpAddressList.default([]),
  BITWEEN_ANNOUNCE_IPV4: env.bool(true),
  BITWEEN_ANNOUNCE_IPV6: env.bool(true),
  BITWEEN_DOWNLOAD_DIR: AbsolutePath.default(path.resolve('data/downloads')),
  BITWEEN_STATE_DIR: AbsolutePath.default(path.resolve('data/state')),
  /** Directories that may be shared or downloaded into; any path when empty. */
  BITWEEN_ALLOWED_PATHS: env.list(AbsolutePath).default([]),
  BITWEEN_HEARTBEAT_MS: env.positiveMs(10_000),
  /** At most one progress event per torrent per interval; at least 500 ms (≤ 2 per second). */
  BITWEEN_PROGRESS_INTERVAL_MS: env
    .positiveMs(1_000)
    .pipe(z.number().min(500, 'must be at least 500 (at most 2 progress events per second)')),
  /** How often incomplete torrents without peers dial the known endpoints again. */
  BITWEEN_RECONNECT_MS: env.positiveMs(30_000),
  /** Watch folder: files and folders dropped here are shared, .torrent files added. Off when unset. */
  BITWEEN_WATCH_DIR: AbsolutePath.optional(),
  /** A watch-folder entry is taken once it has not changed for this long. */
  BITWEEN_WATCH_STABLE_MS: env.positiveMs(5_000),
});
export type EngineConfig = z.output<typeof EngineConfig>;

export const loadEngineConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(EngineConfig, source);
