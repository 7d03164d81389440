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
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  BITWEEN_API_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('listen address (loopback by default: the original bound 0.0.0.0 with no authentication)'),
  BITWEEN_API_PORT: env.port(5000).describe('listen port'),
  BITWEEN_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('holds the API key (`api-key`, generated on first start and logged once)'),
  BITWEEN_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional().meta({
    description:
      'use this API key (≥ 16 characters) instead of the generated one (then no key file is written). Every request but the health endpoints needs the key: `X-API-Key: <key>` or `Authorization: Bearer <key>` (Basic only on /transmission/rpc)',
    defaultText: 'generated',
  }),
  BITWEEN_API_CORS_ORIGINS: env
    .list(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be * or http(s)://host[:port]'))
    .default([])
    .describe(
      'browser origins allowed to call the api (CORS), comma-separated `http(s)://host[:port]`, or `*` (any); none: CORS off',
    ),
  BITWEEN_AUTH_MAX_FAILURES: z.coerce
    .number()
    .int()
    .positive()
    .default(10)
    .describe(
      'wrong keys an address may send per window; after that its wrong keys get 429 instead of 401 (a valid key always passes)',
    ),
  BITWEEN_AUTH_WINDOW_MS: env.positiveMs(60_000).describe('that window (ms)'),
  BITWEEN_EVENTS_MAX_AGE_MS: env
    .positiveMs(24 * 60 * 60 * 1000)
    .describe(
      'events stream (JetStream `BITWEEN_EVENTS`, behind `GET /v1/events`): maximum age (ms); the oldest go first',
    ),
  BITWEEN_EVENTS_MAX_COUNT: z.coerce
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('events stream: maximum number of events'),
  BITWEEN_EVENTS_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024)
    .describe('events stream: maximum size (bytes)'),
  BITWEEN_DEFAULT_TIMEOUT_MS: env
    .positiveMs(5000)
    .describe('how long a NATS request may take (lists, status, remove, add-hash; ms)'),
  BITWEEN_ADD_PATH_TIMEOUT_MS: env
    .positiveMs(600_000)
    .describe(
      'timeout of adding a path (`bt.add_path` hashes the whole file or folder before it answers; ms)',
    ),
  BITWEEN_API_CACHE_MS: z.coerce
    .number()
    .int()
    .min(0, 'must be 0 or more')
    .default(60_000)
    .describe(
      'listings (torrents, friends’ shares) are served from a cache kept current by NATS events; older than this (ms), one is refreshed in the background (a backstop for missed events); `0` = no cache, every read asks NATS',
    ),
  BITWEEN_WEB_DIR: z.string().min(1).default(DEFAULT_WEB_DIR).meta({
    description:
      'the built web UI served at `/` (no key needed for its files; it logs in with the key); `off` = no UI. A folder without index.html is reported at start and not served',
    defaultText: '`apps/web/dist` beside the api (also in the image)',
  }),
  BITWEEN_FETCH_ALLOW: env
    .list(AddressOrCidr)
    .default([])
    .describe(
      'addresses or CIDR blocks (comma-separated) Transmission’s `torrent-add` may fetch a `.torrent` URL from beyond the dial policy (which allows only addresses anyone on the internet could reach: no loopback, LAN, link-local, multicast or reserved space); e.g. `127.0.0.1` for a local web server',
    ),
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
