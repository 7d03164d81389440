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
  BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile(),
  BITWEEN_LOG_LEVEL: env.logLevel(),
  BITWEEN_XMPP_JID: BareJid.optional().describe(
    'bare JID of your account; unset (with the password): the gateway starts without an account and takes one at run time (web UI onboarding, `PUT /v1/account`), kept in its `BITWEEN_DATA_DIR`',
  ),
  BITWEEN_XMPP_PASSWORD: z
    .string()
    .min(1, 'must be set')
    .optional()
    .describe('its password (required with `BITWEEN_XMPP_JID`)'),
  BITWEEN_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe(
      'holds `xmpp-account.json`, the account set at run time (mode 0600), and `rendezvous-secret`, the key of the tickets it gives contacts (mode 0600; keep it: a new one revokes them)',
    ),
  BITWEEN_XMPP_RESOURCE: z
    .string()
    .regex(/^[^\s/]{1,64}$/, 'must be 1-64 characters without spaces or "/"')
    .default('bitween')
    .describe('XMPP resource; one per running instance of the account'),
  BITWEEN_XMPP_SERVICE: z
    .string()
    .regex(/^xmpps?:\/\/[^/\s]+$/, 'must look like xmpp://host:port')
    .optional()
    .meta({
      description: '`xmpp://host:5222` or `xmpps://host:5223`',
      defaultText: 'DNS SRV of the JID’s domain',
    }),
  BITWEEN_ENGINE_CHECK_MS: env.positiveMs(5_000).describe('how often engine liveness is re-checked (ms)'),
  BITWEEN_XMPP_TLS_CA_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'a PEM file to trust besides the system CAs (a home server’s self-signed certificate); still verified against the domain',
    ),
  BITWEEN_XMPP_AUTO_APPROVE: env
    .bool(false)
    .describe(
      'approve subscription requests automatically (the original’s behaviour); default: held for approve/deny over the API',
    ),
  BITWEEN_PUBLIC_ADDRESSES: env
    .list(z.string().refine((s) => isIP(s) !== 0, 'must be IPv4 or IPv6 addresses'))
    .default([])
    .describe(
      'public addresses (comma-separated) added to every engine’s endpoints with its ports, e.g. the router’s IPv4 with forwarded ports',
    ),
  BITWEEN_STUN_SERVER: z
    .string()
    .regex(/^off$|^[^\s:]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/, 'must be host:port or off')
    .optional()
    .meta({
      description:
        '`host:port` of a STUN server to learn the public IPv4 from, in the background. Unset: the STUN server our XMPP server offers (XEP-0215), else the first `stun:` of `BITWEEN_ICE_SERVERS`; `off`: never',
      defaultText: 'the XMPP server’s (XEP-0215)',
    }),
  BITWEEN_ICE_SERVERS: env
    .list(
      z
        .string()
        .regex(
          /^(stun|turn|turns):(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(\?transport=(udp|tcp))?$/,
          'must be stun:host:port, turn:host:port?transport=udp|tcp or turns:host:port',
        ),
    )
    .default([])
    .describe(
      'STUN/TURN servers for WebRTC (`stun:host:port`, `turn:host:port?transport=udp|tcp`, `turns:host:port`, comma-separated), used when our XMPP server offers none through XEP-0215 (Prosody `mod_turn_external`, ejabberd `mod_stun_disco`)',
    ),
  BITWEEN_TURN_USERNAME: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('user name for the `turn:`/`turns:` servers of `BITWEEN_ICE_SERVERS` (required with them)'),
  BITWEEN_TURN_PASSWORD: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe('password for the `turn:`/`turns:` servers of `BITWEEN_ICE_SERVERS` (required with them)'),
  BITWEEN_XMPP_MAX_STANZA_BYTES: z.coerce
    .number()
    .int()
    .min(16_384)
    .max(16_777_216)
    .default(65_536)
    .describe(
      'largest stanza sent (Prosody 0.12 accepts 256 KiB from a client, ejabberd’s shipped config 64 KiB); share lists over 8 KiB go out in buckets, `current` holds what fits',
    ),
  BITWEEN_XMPP_LIST_CHECK_MS: env
    .msOrOff(300_000)
    .describe(
      'how often (ms, ±25 %) each online bitween contact’s list index (and group signal) is fetched and compared with what we hold, the full list (or its group lists) read only if it differs: a backstop for PEP notifications the server did not send (ejabberd 23.01 sends an account’s PEP notifications through the session of its greatest resource name, and so none while that session has sent no presence); `0` = off',
    ),
  BITWEEN_XMPP_UPLOAD_BYTES_PER_S: z.coerce.number().int().min(500).max(1_000_000_000).optional().meta({
    description:
      'pace of bulk sending (share-list publishing, friends’ list bucket fetches) in bytes/s, below the server’s c2s rate limit so presence and subscriptions are not queued behind it; unset: from the server’s software (XEP-0092), 80 % of Debian’s stock limits',
    defaultText: 'Prosody 8000, others 2400',
  }),
  BITWEEN_XMPP_UPLOAD_BURST_BYTES: z.coerce
    .number()
    .int()
    .min(4_096)
    .max(1_000_000_000)
    .optional()
    .meta({ description: 'burst of that pace (bytes)', defaultText: '16000' }),
  BITWEEN_XMPP_BULK_SESSION: env.onOff(true).meta({
    description:
      '`on`: a second, presence-less session of the account (resource `!bulk-<random>`, unseen by contacts) carries the share list’s bulk uploads (the original-format `current`, a first publish’s buckets), so a change, presence and subscriptions never queue behind them (servers limit each connection’s rate separately); if it cannot log in, everything goes through the main session. `off`: one session (for an account at its server’s session cap: ejabberd closes the oldest session when one more logs in)',
    defaultText: '`on`',
  }),
  BITWEEN_STUN_TIMEOUT_MS: env.positiveMs(3_000).describe('STUN lookup timeout (ms)'),
  BITWEEN_STUN_INTERVAL_MS: env
    .positiveMs(600_000)
    .describe('how often the public address is looked up again (STUN, ms)'),
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
