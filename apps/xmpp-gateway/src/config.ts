import { env, loadConfig } from '@bitween/runtime';
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
  BITWEEN_LOG_LEVEL: env.logLevel(),
  BITWEEN_XMPP_JID: BareJid,
  BITWEEN_XMPP_PASSWORD: z.string().min(1, 'must be set'),
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
});
export type GatewayConfig = z.output<typeof GatewayConfig>;

export const loadGatewayConfig = (source: NodeJS.ProcessEnv = process.env) =>
  loadConfig(GatewayConfig, source);
