import { fileURLToPath } from 'node:url';
import { env, loadConfig } from '@bitween/runtime';
import { DialPolicy } from '@bitween/net-policy';
import { z } from 'zod';

/**
 * The api's environment. Every answer the api gives comes from NATS; besides where to listen it
 * needs only a data directory (for the API key), CORS origins and the events stream's limits.
 */
/**
 * Where the built web UI is by default: `apps/web/dist` beside this app, in the repository and in
 * the Docker image alike (a path, not an import: apps never import each other).
 */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * An IP address or CIDR block (`address/bits`, bits in range), as the dial policy takes them: its
 * constructor is the check.
 */
const AddressOrCidr = z.string().refine((entry) => {
  try {
    new DialPolicy([entry]);
    return true;
  } catch {
    return false;
  }
}, 'must be IPv4/IPv6 addresses or CIDR blocks (e.g. 127.0.0.1, 10.0.0.0/8)');

export const ApiConfigSchema = z.object({
  BITWEEN_NATS_URL: env.natsUrl(),
  /** This service's NKEY seed file (its NATS user); unset: no NATS authentication. */
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  /** Loopback by default: the original bound 0.0.0.0 without any authentication. */
  BITWEEN_API_HOST: z.string().min(1).default('127.0.0.1'),
  BITWEEN_API_PORT: env.port(5000),
  /** Where the api keeps its API key (`<dir>/api-key`, generated on first start). */
  BITWEEN_DATA_DIR: z.string().min(1).default('./data'),
  /**
   * Overrides the generated API key (then no key file is written). Every request except the
   * health endpoints needs the key: `X-API-Key: <key>` or `Authorization: Bearer <key>` (Basic
   * only on /transmission/rpc).
   */
  BITWEEN_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Browser origins allowed to call the api (CORS), comma-separated; none by default. `*` = any. */
  BITWEEN_API_CORS_ORIGINS: env
    .list(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be * or http(s)://host[:port]'))
    .default([]),
  /**
   * Wrong keys an address may send per window before its further wrong keys are answered 429
   * instead of 401 (a valid key always passes).
   */
  BITWEEN_AUTH_MAX_FAILURES: z.coerce.number().int().positive().default(10),
  BITWEEN_AUTH_WINDOW_MS: env.positiveMs(60_000),
  /** Limits of the events stream (JetStream `BITWEEN_EVENTS`): age, count, bytes. */
  BITWEEN_EVENTS_MAX_AGE_MS: env.positiveMs(24 * 60 * 60 * 1000),
  BITWEEN_EVENTS_MAX_COUNT: z.coerce.number().int().positive().default(100_000),
  BITWEEN_EVENTS_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** How long a NATS request may take (lists, status, remove, add-hash). */
  BITWEEN_DEFAULT_TIMEOUT_MS: env.positiveMs(5000),
  /** `bt.add_path` hashes the whole file or folder before it answers: allow it a long time. */
  BITWEEN_ADD_PATH_TIMEOUT_MS: env.positiveMs(600_000),
  /**
   * Listings (torrents, friends' shares) are served from a cache kept current by NATS events;
   * older than this, one is refreshed in the background (a backstop for missed events).
   * 0 = no cache: every read asks NATS.
   */
  BITWEEN_API_CACHE_MS: z.coerce.number().int().min(0, 'must be 0 or more').default(60_000),
  /**
   * The built web UI served at `/` (no key needed for its files; it logs in with the key).
   * `off` serves no UI. A folder without index.html is reported at start and not served.
   */
  BITWEEN_WEB_DIR: z.string().min(1).default(DEFAULT_WEB_DIR),
  /**
   * Addresses or CIDR blocks (comma-separated) Transmission's `torrent-add` may fetch a URL from
   * beyond the dial policy (which allows only addresses anyone on the internet could reach: no
   * loopback, LAN, link-local, multicast or reserved space). Empty by default; e.g. `127.0.0.1`
   * for a local web server.
   */
  BITWEEN_FETCH_ALLOW: env.list(AddressOrCidr).default([]),
});
export type ApiConfig = z.output<typeof ApiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(ApiConfigSchema, source);
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** The log level alone, before the whole config is loaded; `info` when unset or invalid. */
export function logLevelFrom(source: NodeJS.ProcessEnv): ApiConfig['BITWEEN_LOG_LEVEL'] {
  const parsed = ApiConfigSchema.shape.BITWEEN_LOG_LEVEL.safeParse(source['BITWEEN_LOG_LEVEL'] || undefined);
  return parsed.success ? parsed.data : 'info';
}
