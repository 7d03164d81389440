import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { makeTempDir, removeTempDir, type Cleanup } from './cleanup.js';
import { freePort } from './ports.js';

export interface Account {
  user: string;
  password: string;
}

export interface Prosody {
  /** Where it listens: 127.0.0.1, or `address` in the network namespace `netns`. */
  host: string;
  port: number;
  /** The current server process (changes with `start`). */
  pid: number;
  domain: string;
  /** For @xmpp/client: `xmpp://127.0.0.1:PORT` */
  service: string;
  /** With `tls`: `xmpps://127.0.0.1:PORT` (direct TLS, XEP-0368 style). */
  directTlsService?: string;
  /** `user@domain` */
  jid(user: string): string;
  /** Temp dir with the config, data and log; removed by stop(). */
  dir: string;
  logFile: string;
  /** SIGTERM (SIGKILL after 5 s), wait for the exit, remove `dir`. Idempotent. */
  stop(): Promise<void>;
  /** Stop the server process only (data, config and port are kept for `start`). */
  halt(): Promise<void>;
  /** Start the server again after `halt`, on the same port with the same data. */
  start(): Promise<void>;
}

export interface ProsodyTls {
  /** PEM files; the certificate must name the VirtualHost domain. */
  certFile: string;
  keyFile: string;
}

export interface ProsodyOptions {
  accounts: Account[];
  /** Users (from `accounts`) who all have each other on their roster with subscription "both" (mod_groups). */
  friends: string[];
  /** Default 'localhost'. */
  domain?: string;
  /** Port to try first (default: a free one). Taken ports are retried with free ones. */
  port?: number;
  /** STARTTLS on the c2s port (required) and a direct-TLS port, with this certificate. */
  tls?: ProsodyTls;
  /** Extra global config lines (Lua), e.g. `c2s_stanza_size_limit = 262144`. */
  extraConfig?: string;
  /** Modules to load besides the harness's own (e.g. `turn_external`, with its options in `extraConfig`). */
  modules?: string[];
  /** Run inside this network namespace (`ip netns exec`; the network lab), listening on `address`. */
  netns?: string;
  /** The address to listen on; default 127.0.0.1. */
  address?: string;
}

const PORT_ATTEMPTS = 4; // the first try and up to 3 retries when the port was taken in the meantime
const USER = /^[a-z0-9][a-z0-9._-]*$/; // already in nodeprep form, so Prosody stores it as given
const DOMAIN = /^[a-z0-9][a-z0-9.-]*$/;

/**
 * A fresh Prosody with one VirtualHost on a loopback port: plain c2s only (no TLS, no s2s, no HTTP),
 * accounts written as files before start. Stopped by `cleanup` at the latest.
 */
export async function startProsody(cleanup: Cleanup, opts: ProsodyOptions): Promise<Prosody> {
  const domain = opts.domain ?? 'localhost';
  validate(domain, opts);
  const dir = await makeTempDir('prosody');
  const logFile = join(dir, 'prosody.log');
  let child: Child | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await child?.stop(5_000);
      await removeTempDir(dir);
    })();
    return stopping;
  };
  cleanup.add(`prosody (${dir})`, stop);
  try {
    await writeData(dir, domain, opts);
    let port = opts.port ?? (await freePort());
    const tlsPort = opts.tls ? await freePort() : null;
    let running: Child;
    const args = ['--config', join(dir, 'prosody.cfg.lua'), '-F'];
    const spawn = () =>
      opts.netns
        ? spawnChild('ip', ['netns', 'exec', opts.netns, 'prosody', ...args])
        : spawnChild('prosody', args);
    const host = opts.address ?? '127.0.0.1';
    const url = (scheme: string, p: number) => `${scheme}://${host.includes(':') ? `[${host}]` : host}:${p}`;
    for (let attempt = 1; ; attempt++) {
      await writeFile(join(dir, 'prosody.cfg.lua'), config(dir, domain, port, logFile, opts, tlsPort));
      child = running = await spawn();
      // Prosody logs to stdout (console) and to logFile. A taken port is no fatal error for it: it logs
      // "Failed to open server port N ..." then "Activated service 'c2s' on no ports" and keeps running.
      const line = await running.output.wait(
        (l) => l.includes("Activated service 'c2s' on [") || l.includes('Failed to open server port'),
        { what: `prosody to listen on port ${port}`, timeoutMs: 20_000 },
      );
      if (!line.includes('Failed to open server port')) break;
      await running.stop(5_000);
      if (attempt === PORT_ATTEMPTS)
        throw new Error(`prosody: no free port after ${attempt} attempts: ${line}`);
      port = await freePort();
    }
    const server: Prosody = {
      host,
      port,
      pid: running.pid,
      domain,
      service: url('xmpp', port),
      ...(tlsPort ? { directTlsService: url('xmpps', tlsPort) } : {}),
      jid: (user) => `${user}@${domain}`,
      dir,
      logFile,
      stop,
      halt: async () => {
        await child?.stop(5_000);
      },
      start: async () => {
        const again = await spawn();
        child = again;
        server.pid = again.pid;
        const line = await again.output.wait(
          (l) => l.includes("Activated service 'c2s' on [") || l.includes('Failed to open server port'),
          { what: `prosody to listen on port ${port} again`, timeoutMs: 20_000 },
        );
        if (line.includes('Failed to open server port')) throw new Error(`prosody restart: ${line}`);
      },
    };
    return server;
  } catch (err) {
    await stop();
    throw err;
  }
}

function validate(domain: string, opts: ProsodyOptions): void {
  if (!DOMAIN.test(domain)) throw new Error(`prosody: unsupported domain ${JSON.stringify(domain)}`);
  const users = new Set<string>();
  for (const { user } of opts.accounts) {
    if (!USER.test(user))
      throw new Error(`prosody: user names must match ${String(USER)}, got ${JSON.stringify(user)}`);
    users.add(user);
  }
  const strangers = opts.friends.filter((user) => !users.has(user));
  if (strangers.length > 0) throw new Error(`prosody: friends without an account: ${strangers.join(', ')}`);
}

/** Account files (DATA/<domain>/accounts/<user>.dat) and the mod_groups file. */
async function writeData(dir: string, domain: string, opts: ProsodyOptions): Promise<void> {
  const accounts = join(dir, 'data', encodeName(domain), 'accounts');
  await mkdir(accounts, { recursive: true });
  await mkdir(join(dir, 'certs')); // an empty one: without it Prosody logs an error at start
  if (opts.tls) {
    // Where Prosody looks for a host's certificate (STARTTLS picks it by the stream's domain).
    await copyFile(opts.tls.certFile, join(dir, 'certs', `${domain}.crt`));
    await copyFile(opts.tls.keyFile, join(dir, 'certs', `${domain}.key`));
  }
  for (const { user, password } of opts.accounts) {
    await writeFile(
      join(accounts, `${encodeName(user)}.dat`),
      `return { ["password"] = ${lua(password)}; };\n`,
    );
  }
  const members = opts.friends.map((user) => `${user}@${domain}=${user}\n`).join('');
  await writeFile(join(dir, 'groups.txt'), `[Friends]\n${members}`);
}

function config(
  dir: string,
  domain: string,
  port: number,
  logFile: string,
  opts: ProsodyOptions,
  tlsPort: number | null,
): string {
  const tls = opts.tls
    ? `ssl = { certificate = ${lua(opts.tls.certFile)}; key = ${lua(opts.tls.keyFile)}; }
c2s_direct_tls_ports = { ${tlsPort} }
c2s_direct_tls_ssl = { certificate = ${lua(opts.tls.certFile)}; key = ${lua(opts.tls.keyFile)}; }
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
`
    : `c2s_direct_tls_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
`;
  return `-- Written by the bitween test harness.
run_as_root = true
pidfile = ${lua(join(dir, 'prosody.pid'))}
data_path = ${lua(join(dir, 'data'))}
certificates = ${lua(join(dir, 'certs'))}
interfaces = { ${lua(opts.address ?? '127.0.0.1')} }
c2s_ports = { ${port} }
${tls}s2s_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = { "disco", "roster", "saslauth", "pep", "ping", "register", "posix", "groups"${opts.tls ? ', "tls"' : ''}${(opts.modules ?? []).map((m) => `, ${lua(m)}`).join('')} }
modules_disabled = { "s2s" }
authentication = "internal_plain"
storage = "internal"
groups_file = ${lua(join(dir, 'groups.txt'))}
log = {
  { levels = { min = "info" }, to = "file", filename = ${lua(logFile)} };
  { levels = { min = "info" }, to = "console" };
}
${opts.extraConfig ?? ''}
VirtualHost ${lua(domain)}
`;
}

/** Prosody's file-name encoding: every byte that is not ASCII alphanumeric becomes %xx (lower-case hex). */
export function encodeName(name: string): string {
  return Array.from(Buffer.from(name, 'utf8'), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9]/.test(c) ? c : `%${byte.toString(16).padStart(2, '0')}`;
  }).join('');
}

/** A Lua string literal; control characters as 3-digit decimal escapes. */
function lua(s: string): string {
  const body = Array.from(s, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\\' || c === '"') return `\\${c}`;
    return code < 0x20 || code === 0x7f ? `\\${String(code).padStart(3, '0')}` : c;
  }).join('');
  return `"${body}"`;
}
