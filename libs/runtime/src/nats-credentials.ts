import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { fromSeed } from '@nats-io/nkeys';

/**
 * A service's NATS identity: an NKEY user. The seed (private key) stays in the service's own
 * file; the NATS server's configuration holds only the public key and the permissions
 * (libs/nats-auth generates both).
 */
export interface NatsCredentials {
  /** The seed file it was read from. */
  file: string;
  /** `SU…`: the user's seed, signs the server's nonce at every (re)connect. Never logged. */
  seed: Uint8Array;
  /** `U…`: the user's public key, as the server configuration names it. */
  publicKey: string;
  /** The file's permission bits (e.g. 0o600). */
  mode: number;
}

/** A seed file is one line; anything larger is not one. */
const MAX_SEED_FILE_BYTES = 4096;

/** Permission bits a seed file must not have: readable or writable by other users. */
const OTHERS = 0o006;

/**
 * Reads and checks a seed file. Throws an Error that says what is wrong (missing, unreadable, a
 * directory, readable by others, not an NKEY user seed) without ever quoting the file's content.
 * A file that the group can read is accepted (a deliberate secrets group); `connectNats` warns.
 */
export function readNatsSeedFile(file: string): NatsCredentials {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${file} does not exist`
        : code === 'EACCES'
          ? `${file} is not readable by this process`
          : `cannot open ${file} (${code ?? (err as Error).message})`,
    );
  }
  let text: string;
  let mode: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    mode = stat.mode & 0o777;
    if (mode & OTHERS) {
      throw new Error(
        `${file} is readable or writable by other users (mode ${octal(mode)}): anyone who reads it ` +
          `can act as this service on NATS; run chmod 600 on it`,
      );
    }
    const buf = Buffer.alloc(MAX_SEED_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_SEED_FILE_BYTES) throw new Error(`${file} is too large for an NKEY seed file`);
    text = buf.subarray(0, n).toString('utf8').trim();
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(file)) throw err;
    throw new Error(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
  // A user seed: 'S' (seed) then 'U' (user), base32 (A-Z, 2-7), checksummed.
  if (!/^SU[A-Z2-7]{56}$/.test(text)) {
    throw new Error(`${file} does not hold an NKEY user seed (one line "SU…", 58 characters)`);
  }
  const seed = new TextEncoder().encode(text);
  let publicKey: string;
  try {
    publicKey = fromSeed(seed).getPublicKey();
  } catch {
    throw new Error(`${file} does not hold a valid NKEY user seed (bad checksum)`);
  }
  return { file, seed, publicKey, mode };
}

/**
 * The inbox prefix of a user: its replies (requests, JetStream acks and deliveries) arrive below
 * it, and its permissions let only that user subscribe there, so no other service can read them.
 */
export function natsInboxPrefix(publicKey: string): string {
  return `_INBOX.${publicKey}`;
}

export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
