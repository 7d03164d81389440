import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { natsInboxPrefix, readNatsSeedFile } from '@bitween/runtime';
import { permissionsFor, ROLES, type NatsPermissions, type Role } from './permissions.js';
import { renderServerConfig, type NatsUser } from './server-config.js';

/**
 * Where the generated files live below one directory (the same layout on the host, in the
 * compose volumes and in the tests):
 *   <dir>/server/auth.conf    nats-server's `authorization` (public keys and permissions), 0644
 *   <dir>/<role>/seed.nk      one service's NKEY seed, 0600, in a 0700 folder
 * In docker compose each folder is a volume of its own, so a service mounts only its seed.
 */
export function natsAuthLayout(dir: string): { serverConfig: string; seeds: Record<Role, string> } {
  return {
    serverConfig: path.join(dir, 'server', 'auth.conf'),
    seeds: Object.fromEntries(ROLES.map((role) => [role, path.join(dir, role, 'seed.nk')])) as Record<
      Role,
      string
    >,
  };
}

export interface ExtraUser {
  /** A name for the comment in the configuration and the result (e.g. `test`). */
  name: string;
  seedFile: string;
  /** Its permissions, given its inbox prefix. */
  permissions: (inboxPrefix: string) => NatsPermissions;
}

export interface GeneratedUser {
  name: string;
  publicKey: string;
  seedFile: string;
  /** What happened to the seed: generated now, kept from an earlier start, or replaced (unreadable). */
  seed: 'created' | 'kept' | 'replaced';
}

export interface NatsAuth {
  serverConfig: string;
  users: Record<Role, GeneratedUser>;
  extra: GeneratedUser[];
}

/** Write `data` to `file` atomically (a temp file in the same folder, fsync, rename), with `mode`. */
function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  chmodSync(tmp, mode); // the umask may have taken bits off
  renameSync(tmp, file);
}

function ensureDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

/**
 * An NKEY user seed in `file`: kept when the file holds a valid one (its mode set back to 0600),
 * otherwise (missing, empty, malformed) a new one is written.
 */
function ensureSeed(name: string, file: string): GeneratedUser {
  ensureDir(path.dirname(file), 0o700);
  let seed: GeneratedUser['seed'] = 'created';
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    try {
      return { name, seedFile: file, publicKey: readNatsSeedFile(file).publicKey, seed: 'kept' };
    } catch {
      seed = 'replaced';
    }
  }
  const user = createUser();
  writeAtomic(file, `${new TextDecoder().decode(user.getSeed())}\n`, 0o600);
  return { name, seedFile: file, publicKey: user.getPublicKey(), seed };
}

/**
 * Make sure every service has its seed and nats-server's configuration matches them and the
 * current permission table: seeds are generated once and kept; the configuration is written
 * again every time (a new version's table applies at the next start). Idempotent; safe to run
 * before every start of nats-server, never while it runs with another set of seeds.
 */
export function ensureNatsAuth(opts: {
  serverConfig: string;
  seeds: Record<Role, string>;
  /** Users besides the services (tests only). */
  extra?: ExtraUser[];
}): NatsAuth {
  const users = {} as Record<Role, GeneratedUser>;
  const entries: NatsUser[] = [];
  for (const role of ROLES) {
    const user = ensureSeed(role, opts.seeds[role]);
    users[role] = user;
    entries.push({
      name: role,
      publicKey: user.publicKey,
      permissions: permissionsFor(role, natsInboxPrefix(user.publicKey)),
    });
  }
  const extra = (opts.extra ?? []).map((x) => {
    const user = ensureSeed(x.name, x.seedFile);
    entries.push({
      name: x.name,
      publicKey: user.publicKey,
      permissions: x.permissions(natsInboxPrefix(user.publicKey)),
    });
    return user;
  });
  mkdirSync(path.dirname(opts.serverConfig), { recursive: true, mode: 0o700 });
  writeAtomic(opts.serverConfig, renderServerConfig(entries), 0o644);
  return { serverConfig: opts.serverConfig, users, extra };
}
