import { z } from 'zod';
import { readNatsSeedFile, type NatsCredentials } from './nats-credentials.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Parse the environment once at start-up. The schema's keys are the variable names, so every
 * problem names the variable: `BITWEEN_API_PORT: must be 1-65535 (got "abc")`.
 * Empty strings count as unset, so `FOO=` in an env file falls back to the default.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(config)');
    const got = input[name];
    const secret = /PASSWORD|TOKEN|SECRET/i.test(name);
    if (got === undefined) return `${name}: is required (not set)`;
    return `${name}: ${issue.message}${secret ? '' : ` (got ${JSON.stringify(got)})`}`;
  });
  throw new ConfigError(problems);
}

/** Reusable variable types. */
export const env = {
  port: (dflt: number) => z.coerce.number().int().min(0).max(65535, 'must be 0-65535').default(dflt),
  bool: (dflt: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(dflt),
  /** A switch written `on` or `off`. */
  onOff: (dflt: boolean) =>
    z
      .enum(['on', 'off'], { message: 'must be on or off' })
      .transform((v) => v === 'on')
      .default(dflt),
  /** A comma-separated list; blanks dropped. */
  list: <T extends z.ZodType<unknown, string>>(item: T) =>
    z
      .string()
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(item)),
  logLevel: () =>
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level: `fatal` … `trace`, `silent`'),
  natsUrl: () =>
    z
      .string()
      .min(1)
      .default('nats://127.0.0.1:4222')
      .describe(
        'NATS server(s), comma-separated (with `npm start`, unset: it starts nats-server from PATH on `BITWEEN_NATS_PORT`)',
      ),
  /**
   * BITWEEN_NATS_NKEY_SEED_FILE: the path of the service's NKEY seed file, read and checked
   * here (missing, unreadable, readable by other users or not a user seed: a ConfigError naming
   * the variable). Unset: undefined, and `connectNats` connects without credentials.
   */
  natsSeedFile: () =>
    z
      .string()
      .optional()
      .transform((file, ctx): NatsCredentials | undefined => {
        if (file === undefined) return undefined;
        try {
          return readNatsSeedFile(file);
        } catch (err) {
          ctx.issues.push({ code: 'custom', message: (err as Error).message, input: file });
          return z.NEVER;
        }
      })
      .describe(
        'this service’s NATS key (an NKEY seed file, one line `SU…`); a file others can read is refused. `npm start` and compose generate one per service (`<data dir>/nats-auth`, the `nats-seed-*` volumes); set it yourself only with `BITWEEN_NATS_URL` pointing at a NATS of your own (`node libs/nats-auth/dist/cli.js init DIR` writes seeds and its authorization block); unset: connects without credentials and warns',
      ),
  positiveMs: (dflt: number) => z.coerce.number().int().positive().default(dflt),
  /** A period in ms where `0` turns the thing off; otherwise at least `min` ms. */
  msOrOff: (dflt: number, min = 1_000) =>
    z.coerce
      .number()
      .int()
      .refine((v) => v === 0 || v >= min, `must be 0 (off) or at least ${min} (ms)`)
      .default(dflt),
};
