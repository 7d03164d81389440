import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnChild, type Child } from './child.js';
import { makeTempDir, removeTempDir, type Cleanup } from './cleanup.js';
import { freePort } from './ports.js';
import type { Account } from './prosody.js';

const run = promisify(execFile);

export interface Ejabberd {
  domain: string;
  /** STARTTLS required on this port: `xmpp://127.0.0.1:PORT`. */
  service: string;
  /** Direct TLS: `xmpps://127.0.0.1:PORT`. */
  directTlsService: string;
  jid(user: string): string;
  dir: string;
  stop(): Promise<void>;
}

export interface EjabberdOptions {
  accounts: Account[];
  /** Users who have each other on their roster with subscription "both". */
  friends: string[];
  /** PEM files for the domain (self-signed is fine: the clients are told to trust it). */
  tls: { certFile: string; keyFile: string };
  /** ejabberd's max_stanza_size for c2s (its shipped config: 65536). */
  maxStanzaSize?: number;
  /**
   * The rate limits of Debian's stock /etc/ejabberd/ejabberd.yml (23.01): every client shaped
   * to 3000 B/s with a 20,000-byte burst (`shaper: normal`, `c2s_shaper: normal: all`),
   * max_stanza_size 262144, and mod_version (which the stock config loads). Default: none.
   */
  stockLimits?: boolean;
}

/**
 * A fresh ejabberd (apt, 23.01) on loopback: STARTTLS required on one port, direct TLS on
 * another, SCRAM-SHA-256 password storage, PEP. Run as the `ejabberd` user (ejabberdctl does
 * that for root), under a unique Erlang node name. Accounts and rosters via ejabberdctl.
 */
export async function startEjabberd(cleanup: Cleanup, opts: EjabberdOptions): Promise<Ejabberd> {
  const domain = 'localhost';
  const dir = await makeTempDir('ejabberd');
  const node = `bitween-test-${process.pid}-${Date.now() % 100000}@localhost`;
  const ctl = (...args: string[]) =>
    run('ejabberdctl', [
      '--config-dir',
      dir,
      '--ctl-config',
      join(dir, 'ejabberdctl.cfg'),
      '--node',
      node,
      ...args,
    ]);
  let child: Child | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child?.isAlive()) {
        await ctl('stop').catch(() => undefined);
        await Promise.race([child.exited, new Promise((r) => setTimeout(r, 10_000))]);
        await child.stop(5_000);
      }
      await removeTempDir(dir);
    })();
    return stopping;
  };
  cleanup.add(`ejabberd (${dir})`, stop);
  try {
    const [port, tlsPort] = [await freePort(), await freePort()];
    await mkdir(join(dir, 'spool'));
    await mkdir(join(dir, 'logs'));
    const pem = join(dir, 'server.pem');
    await writeFile(
      pem,
      `${await readFile(opts.tls.certFile, 'utf8')}\n${await readFile(opts.tls.keyFile, 'utf8')}`,
    );
    await copyFile('/etc/ejabberd/inetrc', join(dir, 'inetrc'));
    await writeFile(join(dir, 'ejabberdctl.cfg'), '');
    const max = opts.maxStanzaSize ?? (opts.stockLimits ? 262144 : 65536);
    const shaper = opts.stockLimits ? '\n    shaper: c2s_shaper' : '';
    const stock = opts.stockLimits
      ? `shaper:
  normal:
    rate: 3000
    burst_size: 20000
  fast: 200000
shaper_rules:
  c2s_shaper:
    normal: all
`
      : '';
    await writeFile(
      join(dir, 'ejabberd.yml'),
      `# Written by the bitween test harness.
hosts: ["${domain}"]
loglevel: info
certfiles: ["${pem}"]
listen:
  - port: ${port}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
    max_stanza_size: ${max}${shaper}
  - port: ${tlsPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    tls: true
    max_stanza_size: ${max}${shaper}
${stock}auth_method: internal
auth_password_format: scram
auth_scram_hash: sha256
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
modules:
  mod_admin_extra: {}
  mod_caps: {}
  mod_disco: {}
  mod_ping: {}
  mod_pubsub:
    plugins: ["flat", "pep"]
  mod_roster: {}
${opts.stockLimits ? '  mod_version: {}\n' : ''}`,
    );
    if (userInfo().uid === 0) {
      // ejabberdctl runs the server as the ejabberd user when started by root.
      const { stdout } = await run('id', ['-u', 'ejabberd']);
      const { stdout: gid } = await run('id', ['-g', 'ejabberd']);
      await run('chown', ['-R', `${stdout.trim()}:${gid.trim()}`, dir]);
    }
    child = await spawnChild('ejabberdctl', [
      '--config-dir',
      dir,
      '--config',
      join(dir, 'ejabberd.yml'),
      '--ctl-config',
      join(dir, 'ejabberdctl.cfg'),
      '--spool',
      join(dir, 'spool'),
      '--logs',
      join(dir, 'logs'),
      '--node',
      node,
      'foreground',
    ]);
    await child.output.wait((l) => l.includes('Start accepting TCP connections'), {
      what: 'ejabberd to listen',
      timeoutMs: 60_000,
    });
    for (const { user, password } of opts.accounts) await ctl('register', user, domain, password);
    for (const a of opts.friends)
      for (const b of opts.friends)
        if (a !== b) await ctl('add_rosteritem', a, domain, b, domain, b, 'Friends', 'both');
    return {
      domain,
      service: `xmpp://127.0.0.1:${port}`,
      directTlsService: `xmpps://127.0.0.1:${tlsPort}`,
      jid: (user) => `${user}@${domain}`,
      dir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
