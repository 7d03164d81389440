import type { IceServer } from '@bitween/messages';
import { ConfigError, env, loadConfig } from '@bitween/runtime';
import { isIP } from 'node:net';
import { z } from 'zod';

/** A bare JID: `local@domain`, no resource. */
const BareJid = z
  .string()
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID like alice@example.org')
  .transform((s) => {
    const [local, domain] = s.split('@') as [string, string];
    return { local, domain: domain.toLowerCase(), bare: `${local}@${domain}`.toLowerCase() };
  });

export const GatewayConfig = z.object({
  BITWEEN_NATS_URL: env.natsUrl(),
  /** This service's NKEY seed file (its NATS user); unset: no NATS authentication. */
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  /**
   * The account, from the environment. Both unset: the gateway starts without an account and
   * takes one at run time (`xmpp.account.set`, the web UI's onboarding), stored in BITWEEN_DATA_DIR.
   */
  BITWEEN_XMPP_JID: BareJid.optional(),
  BITWEEN_XMPP_PASSWORD: z.string().min(1, 'must be set').optional(),
  /** Holds `xmpp-account.json`, the account set at run time (mode 0600). */
  BITWEEN_DATA_DIR: z.string().min(1).default('./data'),
  /** Each running instance of one account needs its own resource. */
  BITWEEN_XMPP_RESOURCE: z
    .string()
    .regex(/^[^\s/]{1,64}$/, 'must be 1-64 characters without spaces or "/"')
    .default('bitween'),
  /** `xmpp://host:5222`, `xmpps://host:5223`; when unset, the JID's domain is resolved by DNS SRV. */
  BITWEEN_XMPP_SERVICE: z
    .string()
    .regex(/^xmpps?:\/\/[^/\s]+$/, 'must look like xmpp://host:port')
    .optional(),
  BITWEEN_ENGINE_CHECK_MS: env.positiveMs(5_000),
  /** A PEM file of certificates to trust besides the system's (a home server's self-signed one). */
  BITWEEN_XMPP_TLS_CA_FILE: z.string().min(1).optional(),
  /** Approve every subscription request automatically (the original's behaviour). Off: the user decides. */
  BITWEEN_XMPP_AUTO_APPROVE: env.bool(false),
  /** Public addresses (e.g. the router's IPv4 with forwarded ports) added to every engine's endpoints. */
  BITWEEN_PUBLIC_ADDRESSES: env
    .list(z.string().refine((s) => isIP(s) !== 0, 'must be IPv4 or IPv6 addresses'))
    .default([]),
  /**
   * `host:port` of a STUN server to learn the public IPv4 from (in the background); `off`: never
   * ask one; unset: the STUN server our XMPP server offers (XEP-0215), else the first `stun:` of
   * BITWEEN_ICE_SERVERS.
   */
  BITWEEN_STUN_SERVER: z
    .string()
    .regex(/^off$|^[^\s:]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/, 'must be host:port or off')
    .optional(),
  /**
   * STUN/TURN servers for WebRTC when our XMPP server offers none (XEP-0215): `stun:host:port`,
   * `turn:host:port?transport=udp`, `turns:host:port`, comma-separated.
   */
  BITWEEN_ICE_SERVERS: env
    .list(
      z
        .string()
        .regex(
          /^(stun|turn|turns):(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(\?transport=(udp|tcp))?$/,
          'must be stun:host:port, turn:host:port?transport=udp|tcp or turns:host:port',
        ),
    )
    .default([]),
  /** Credentials for the turn:/turns: servers of BITWEEN_ICE_SERVERS (required with them). */
  BITWEEN_TURN_USERNAME: z.string().min(1).max(512).optional(),
  BITWEEN_TURN_PASSWORD: z.string().min(1).max(512).optional(),
  /**
   * The largest stanza the gateway sends; larger share lists go out in buckets. Prosody 0.12
   * accepts 256 KiB from a client (c2s_stanza_size_limit), ejabberd's shipped config 64 KiB.
   */
  BITWEEN_XMPP_MAX_STANZA_BYTES: z.coerce.number().int().min(16_384).max(16_777_216).default(65_536),
  /**
   * The pace of bulk sending to the XMPP server (share-list publishing, fetching friends' list
   * buckets), in bytes per second, and its burst. Unset: from the server's software (XEP-0092:
   * Prosody 8000, otherwise 2400, 80 % of Debian's stock limits), burst 16,000.
   */
  BITWEEN_XMPP_UPLOAD_BYTES_PER_S: z.coerce.number().int().min(500).max(1_000_000_000).optional(),
  BITWEEN_XMPP_UPLOAD_BURST_BYTES: z.coerce.number().int().min(4_096).max(1_000_000_000).optional(),
  BITWEEN_STUN_TIMEOUT_MS: env.positiveMs(3_000),
  /** How often the public address is looked up again (STUN). */
  BITWEEN_STUN_INTERVAL_MS: env.positiveMs(600_000),
});
export type GatewayConfig = z.output<typeof GatewayConfig>;

export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(GatewayConfig, source);
  if (config.BITWEEN_XMPP_JID && !config.BITWEEN_XMPP_PASSWORD)
    throw new ConfigError(['BITWEEN_XMPP_PASSWORD: is required when BITWEEN_XMPP_JID is set']);
  if (config.BITWEEN_XMPP_PASSWORD && !config.BITWEEN_XMPP_JID)
    throw new ConfigError(['BITWEEN_XMPP_JID: is required when BITWEEN_XMPP_PASSWORD is set']);
  const turn = config.BITWEEN_ICE_SERVERS.some((u) => u.startsWith('turn'));
  if (turn && !(config.BITWEEN_TURN_USERNAME && config.BITWEEN_TURN_PASSWORD))
    throw new ConfigError([
      'BITWEEN_TURN_USERNAME, BITWEEN_TURN_PASSWORD: are required when BITWEEN_ICE_SERVERS names a turn: or turns: server',
    ]);
  return config;
}

/** BITWEEN_ICE_SERVERS as RTCIceServer entries: STUN alone, TURN with the configured credentials. */
export function configuredIceServers(config: GatewayConfig): IceServer[] {
  return config.BITWEEN_ICE_SERVERS.slice(0, 16).map((url) =>
    url.startsWith('stun:')
      ? { urls: [url] }
      : {
          urls: [url],
          username: config.BITWEEN_TURN_USERNAME ?? '',
          credential: config.BITWEEN_TURN_PASSWORD ?? '',
        },
  );
}
