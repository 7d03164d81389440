import { isIP } from 'node:net';
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

/** An address (`10.0.0.5`, `2001:db8::1`) or a CIDR block (`192.168.1.0/24`, `127.0.0.1/32`). */
const AddressOrCidr = z.string().refine((s) => {
  const [addr = '', bits, ...rest] = s.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}, 'must be IPv4/IPv6 addresses or CIDR blocks');

export const EngineConfig = z.object({
  BITWEEN_NATS_URL: env.natsUrl(),
  /** This service's NKEY seed file (its NATS user); unset: no NATS authentication. */
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  /**
   * A fixed id for this instance. Unset: the instance claims the lowest free slot `engine-N`
   * in the engines registry (so `docker compose up --scale torrent-engine=3` needs no
   * per-container configuration); its port is then derived from the slot.
   */
  BITWEEN_ENGINE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"')
    .optional(),
  BITWEEN_TORRENT_PORT: PortRange.default({ from: 8000, to: 8020 }),
  /** Addresses to advertise to friends; detected from the network interfaces when empty. */
  BITWEEN_ANNOUNCE_ADDRESSES: IpAddressList.default([]),
  BITWEEN_ANNOUNCE_IPV4: env.bool(true),
  BITWEEN_ANNOUNCE_IPV6: env.bool(true),
  BITWEEN_DOWNLOAD_DIR: AbsolutePath.default(path.resolve('data/downloads')),
  BITWEEN_STATE_DIR: AbsolutePath.default(path.resolve('data/state')),
  /**
   * Folders below which paths may be shared (and downloads saved). The download dir is always
   * one. Unset: only the download dir — sharing anything else needs a root here.
   */
  BITWEEN_SHARE_ROOTS: env.list(AbsolutePath).optional(),
  /** Deprecated name of BITWEEN_SHARE_ROOTS (read when that one is unset). */
  BITWEEN_ALLOWED_PATHS: env.list(AbsolutePath).optional(),
  /**
   * `contacts`: every BitTorrent wire must prove it is a contact (ticket proof, admission/), or
   * come from BITWEEN_PEER_ALLOW or an address a legacy contact announces; `off`: anyone.
   */
  BITWEEN_PEER_FILTER: z
    .enum(['contacts', 'off'], { message: 'must be contacts or off' })
    .default('contacts'),
  /**
   * BitTorrent protocol encryption (MSE/PE). `preferred`: connections we dial start with the
   * obfuscated (Diffie-Hellman) handshake, plain ones are accepted and used as fallback, the data
   * itself goes in the clear unless the peer insists on RC4. `off`: plain BitTorrent only (peers
   * that require encryption cannot connect). No `required`: RC4 needs OpenSSL's legacy provider in
   * Node and hides nothing from an observer who wants to see BitTorrent.
   */
  BITWEEN_PEER_ENCRYPTION: z
    .enum(['preferred', 'off'], { message: 'must be preferred or off' })
    .default('preferred'),
  /** Addresses or CIDR blocks admitted without a ticket proof (e.g. 127.0.0.1 for tests). */
  BITWEEN_PEER_ALLOW: env.list(AddressOrCidr).default([]),
  /**
   * Addresses or CIDR blocks the engine may dial although the dial policy refuses them (this host,
   * a LAN it cannot show it shares with a contact, …): e.g. 127.0.0.1 for tests, or the LAN
   * `192.168.1.0/24` when friends on it announce no public address. Empty: only the policy.
   */
  BITWEEN_DIAL_ALLOW: env.list(AddressOrCidr).default([]),
  /** Registry heartbeat; an engine silent for 3 beats is gone and its torrents are taken over. */
  BITWEEN_HEARTBEAT_MS: env.positiveMs(3_000),
  /** At most one progress event per torrent per interval; at least 500 ms (≤ 2 per second). */
  BITWEEN_PROGRESS_INTERVAL_MS: env
    .positiveMs(1_000)
    .pipe(z.number().min(500, 'must be at least 500 (at most 2 progress events per second)')),
  /** How often incomplete torrents without peers dial the known endpoints again. */
  BITWEEN_RECONNECT_MS: env.positiveMs(30_000),
  /**
   * `auto`: map the listen port on the home router (UPnP-IGD, then NAT-PMP), renew it, announce the
   * router's address and granted port first, remove it on shutdown. `off`: never ask the router.
   */
  BITWEEN_PORT_MAPPING: z.enum(['auto', 'off'], { message: 'must be auto or off' }).default('auto'),
  /** Watch folder: files and folders dropped here are shared, .torrent files added. Off when unset. */
  BITWEEN_WATCH_DIR: AbsolutePath.optional(),
  /** A watch-folder entry is taken once it has not changed for this long. */
  BITWEEN_WATCH_STABLE_MS: env.positiveMs(5_000),
});
export type EngineConfig = z.output<typeof EngineConfig>;

export const loadEngineConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(EngineConfig, source);

/** Where sharing and saving are allowed: the download dir and the share roots (old name as fallback). */
export function shareRoots(config: EngineConfig): string[] {
  const roots = config.BITWEEN_SHARE_ROOTS ?? config.BITWEEN_ALLOWED_PATHS ?? [];
  return [...new Set([config.BITWEEN_DOWNLOAD_DIR, ...roots])];
}
