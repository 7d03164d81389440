import {
  AuthorizationError,
  connect,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { natsInboxPrefix, octal, type NatsCredentials } from './nats-credentials.js';

/** The variable that names a service's seed file (see `env.natsSeedFile`). */
export const NATS_SEED_FILE_VAR = 'BITWEEN_NATS_NKEY_SEED_FILE';

/**
 * What a client needs to connect as an NKEY user: the authenticator (signs the server's nonce)
 * and the inbox prefix its permissions allow (`_INBOX.<public key>`).
 */
export function natsAuthOptions(
  credentials: NatsCredentials,
): Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix'> {
  return {
    authenticator: nkeyAuthenticator(credentials.seed),
    inboxPrefix: natsInboxPrefix(credentials.publicKey),
  };
}

/**
 * Connect to NATS and keep reconnecting for ever (a service outlives a NATS restart).
 * The first connection is retried too, so services may start before nats-server is ready.
 *
 * With `credentials` (BITWEEN_NATS_NKEY_SEED_FILE) the service connects as its own NKEY user and
 * may only use the subjects its permissions allow. Without, it connects without authentication
 * (a NATS server of the user's own without authorization) and says so in a warning. A server
 * that refuses the credentials (or wants some) stops the start with an error naming the variable.
 */
export async function connectNats(
  url: string,
  name: string,
  log: Logger,
  credentials?: NatsCredentials,
): Promise<NatsConnection> {
  if (credentials) {
    if (credentials.mode & 0o070) {
      log.warn(
        { file: credentials.file, mode: octal(credentials.mode) },
        `${NATS_SEED_FILE_VAR}: the seed file is readable by its group: every member can act as this service on NATS (chmod 600 unless that is meant)`,
      );
    }
  } else {
    log.warn(
      `${NATS_SEED_FILE_VAR} is not set: connecting to NATS without credentials. Anyone who can reach that NATS server controls bitween; use a server with authorization (npm start and docker compose generate one)`,
    );
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      waitOnFirstConnect: true,
      ...(credentials ? natsAuthOptions(credentials) : {}),
    });
  } catch (err) {
    if (err instanceof AuthorizationError || /authori[sz]ation violation/i.test(String(err))) {
      throw new Error(
        credentials
          ? `NATS at ${url} refused the credentials in ${credentials.file} (${NATS_SEED_FILE_VAR}; user ${credentials.publicKey}): is the server's configuration generated from the same seed?`
          : `NATS at ${url} requires authentication: set ${NATS_SEED_FILE_VAR} to this service's seed file`,
        { cause: err },
      );
    }
    throw err;
  }
  log.info(
    { server: nc.getServer(), ...(credentials ? { user: credentials.publicKey } : { auth: 'none' }) },
    'connected to NATS',
  );
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') {
        log.warn({ status: s.type, server: s.server }, 'NATS connection status');
      } else if (s.type === 'error') {
        // A permissions violation lands here: something asked for a subject the table in
        // libs/nats-auth does not grant this service.
        log.warn({ status: s.type, err: s.error.message }, 'NATS error');
      }
    }
  })();
  return nc;
}
