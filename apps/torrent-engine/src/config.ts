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
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  BITWEEN_ENGINE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-"')
    .optional()
    .meta({
      description:
        'fixed id of this instance (`A-Za-z0-9_-`); unset, the instance claims the lowest free slot `engine-N` in the registry (so identical replicas, e.g. `docker compose up --scale torrent-engine=3`, need no per-instance config)',
      defaultText: 'a free slot `engine-N`',
    }),
  BITWEEN_TORRENT_PORT: PortRange.default({ from: 8000, to: 8020 }).meta({
    description:
      'listen port, range or `0` (any); slot `engine-N` tries the N-th port of the range first, then the first free one',
    defaultText: '8000-8020',
  }),
  BITWEEN_ANNOUNCE_ADDRESSES: IpAddressList.default([]).meta({
    description:
      'addresses friends connect to (comma-separated IPv4/IPv6); unset: every non-internal IPv4 and global IPv6 address of the host. Behind NAT, put your public address here',
    defaultText: 'detected',
  }),
  BITWEEN_ANNOUNCE_IPV4: env.bool(true).describe('announce IPv4 addresses (`false` switches the family off)'),
  BITWEEN_ANNOUNCE_IPV6: env.bool(true).describe('announce IPv6 addresses (`false` switches the family off)'),
  BITWEEN_DOWNLOAD_DIR: AbsolutePath.default(path.resolve('data/downloads')).meta({
    description: 'default save path (absolute)',
    defaultText: './data/downloads',
  }),
  BITWEEN_STATE_DIR: AbsolutePath.default(path.resolve('data/state')).meta({
    description:
      'torrents kept across restarts (absolute), a folder per engine id; shared by all instances (survivors take a stopped instance’s torrents from it)',
    defaultText: './data/state',
  }),
  BITWEEN_SHARE_ROOTS: env.list(AbsolutePath).optional().meta({
    description:
      'comma-separated absolute folders below which paths may be shared (and downloads saved); the download dir always counts. `bt.add_path("/etc")` is refused naming this variable',
    defaultText: 'the download dir only',
  }),
  BITWEEN_ALLOWED_PATHS: env
    .list(AbsolutePath)
    .optional()
    .describe(
      'deprecated name of `BITWEEN_SHARE_ROOTS` (read when that is unset; empty no longer means "anywhere")',
    ),
  BITWEEN_PEER_FILTER: z
    .enum(['contacts', 'off'], { message: 'must be contacts or off' })
    .default('contacts')
    .describe(
      '`contacts`: every BitTorrent peer must prove it is a contact (a ticket exchanged over XMPP, see docs/friends-behind-routers.md) or come from `BITWEEN_PEER_ALLOW` or an address a legacy contact (original Bitween) announces; `off`: anyone',
    ),
  BITWEEN_PEER_ENCRYPTION: z
    .enum(['preferred', 'off'], { message: 'must be preferred or off' })
    .default('preferred')
    // No `required`: RC4 needs OpenSSL's legacy provider in Node and hides nothing from an
    // observer who wants to see BitTorrent.
    .describe(
      'BitTorrent protocol encryption (MSE/PE): `preferred` dials with the obfuscated handshake and accepts plain peers (data in the clear unless the peer insists on RC4); `off`: plain BitTorrent only',
    ),
  BITWEEN_PEER_ALLOW: env
    .list(AddressOrCidr)
    .default([])
    .describe(
      'addresses or CIDR blocks admitted without a ticket proof (comma-separated; e.g. `127.0.0.1` for tests, a LAN `192.168.1.0/24`)',
    ),
  BITWEEN_DIAL_ALLOW: env
    .list(AddressOrCidr)
    .default([])
    .describe(
      'addresses or CIDR blocks the engine may dial although the dial policy refuses them. The policy: a contact’s (or a tracker’s) peer is dialled only at a public address, or at a contact’s LAN address on one of our subnets when that contact announces our public address (known from `BITWEEN_PUBLIC_ADDRESSES`, STUN or port mapping); never this host, our own public addresses, link-local, multicast, broadcast, reserved space or host names. Refusals are logged and counted (`bitween_engine_refused_dials_total`). E.g. `127.0.0.1` for tests, `192.168.1.0/24` for friends on your LAN who announce no public address',
    ),
  BITWEEN_HEARTBEAT_MS: env
    .positiveMs(3_000)
    .describe(
      'registry heartbeat (ms); an engine silent for 3 beats is gone and its torrents are taken over by the others (≤ 3 beats + 1 s)',
    ),
  BITWEEN_PROGRESS_INTERVAL_MS: env
    .positiveMs(1_000)
    .pipe(z.number().min(500, 'must be at least 500 (at most 2 progress events per second)'))
    .describe('at most one progress event per torrent per interval (ms, ≥ 500)'),
  BITWEEN_RECONNECT_MS: env
    .positiveMs(30_000)
    .describe('how often incomplete torrents without peers dial the known endpoints again (ms)'),
  BITWEEN_PORT_MAPPING: z
    .enum(['auto', 'off'], { message: 'must be auto or off' })
    .default('auto')
    .describe(
      '`auto`: map the listen port on the home router (UPnP-IGD v2, then NAT-PMP, then UPnP-IGD v1), renew it, remove it on shutdown, and announce the router’s address and the port it granted first (the log says `port mapped on the router`, or warns once that no router answered); for each global IPv6 address, also open an IPv6 pinhole for the port in the router’s firewall with PCP, renewed and removed the same way (`IPv6 pinhole opened on the router`); `off`: never ask the router',
    ),
  BITWEEN_ADDRESS_CHECK_MS: env
    .positiveMs(300_000)
    .pipe(z.number().min(1_000, 'must be at least 1000'))
    .meta({
      description:
        'how often the engine looks again at its network addresses and, while its port is mapped, asks the router again for its external address (ms, ≥ 1000): a new public IPv4 or IPv6 prefix is announced to friends without a restart (`network addresses changed` / `port mapping changed` in the log), and the IPv6 pinholes follow the addresses',
      defaultText: '300000 (5 min)',
    }),
  BITWEEN_WATCH_DIR: AbsolutePath.optional().meta({
    description:
      'watch folder (absolute, inside a share root or the download dir; with docker compose a folder below `/shares`): files and folders dropped here are shared in place once stable, `.torrent` files are added as downloads ([details](docs/architecture.md#engine-controls-appstorrent-enginesrccontrols-trackersts-watch-folderts))',
    defaultText: 'off',
  }),
  BITWEEN_WATCH_STABLE_MS: env
    .positiveMs(5_000)
    .describe('a dropped entry is taken once it has not changed for this long (ms)'),
});
export type EngineConfig = z.output<typeof EngineConfig>;

export const loadEngineConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(EngineConfig, source);

/** Where sharing and saving are allowed: the download dir and the share roots (old name as fallback). */
export function shareRoots(config: EngineConfig): string[] {
  const roots = config.BITWEEN_SHARE_ROOTS ?? config.BITWEEN_ALLOWED_PATHS ?? [];
  return [...new Set([config.BITWEEN_DOWNLOAD_DIR, ...roots])];
}
