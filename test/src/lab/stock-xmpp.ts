import { createWriteStream, mkdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnChild, type Child } from '../harness/child.js';
import { makeTempDir, removeTempDir, type Cleanup } from '../harness/cleanup.js';
import { logDir } from '../harness/service.js';
import { run, runIn, tool } from './netns.js';

/**
 * An XMPP server as a self-hoster runs it: the distribution's stock configuration file (Debian 12:
 * /etc/prosody/prosody.cfg.lua, /etc/ejabberd/ejabberd.yml) copied into a temp dir with only what
 * a self-hoster changes: the domain, its certificate (from the lab CA, which the server also
 * trusts for s2s), accounts, and file paths (pid, data, logs) moved into the temp dir. Rate
 * limits, shapers, stanza and payload caps, modules and ports stay as shipped: the server runs in
 * its own lab namespace, so the stock ports (5222, 5269, …) are free. Every edit must find the
 * stock text it replaces, or the start fails naming it (a changed stock file is noticed).
 */
export interface StockXmpp {
  software: 'prosody' | 'ejabberd';
  domain: string;
  /** The namespace it runs in and its public address there (DNS: `xmpp.<domain>`). */
  ns: string;
  address: string;
  jid(user: string): string;
  /** The server process's output (its log). */
  child: Child;
  dir: string;
}

export interface StockXmppOptions {
  ns: string;
  address: string;
  domain: string;
  cert: { certFile: string; keyFile: string };
  /** The lab CA (PEM) to trust besides the system's, for s2s certificates. */
  caFile: string;
  accounts: { user: string; password: string }[];
}

/** `text` with `from` replaced once; throws when the stock file does not contain it. */
function edit(text: string, from: string | RegExp, to: string, file: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`${file} no longer contains ${String(from)}: the lab's edits need updating`);
  return text.replace(from, to);
}

/** chown -R to a system user (the server drops to it: its files must be its own). */
async function giveTo(user: string, dir: string): Promise<void> {
  await run('chown', ['-R', `${user}:${user}`, dir]);
}

const PROSODY_CFG = '/etc/prosody/prosody.cfg.lua';

/** Prosody from Debian's stock config, run as the `prosody` user. */
export async function startStockProsody(cleanup: Cleanup, opts: StockXmppOptions): Promise<StockXmpp> {
  const dir = await makeTempDir('prosody-stock');
  cleanup.add(`stock prosody dir ${dir}`, () => removeTempDir(dir));
  const q = (s: string) => JSON.stringify(s);
  let cfg = await readFile(PROSODY_CFG, 'utf8');
  cfg = edit(
    cfg,
    'pidfile = "/run/prosody/prosody.pid";',
    `pidfile = ${q(join(dir, 'prosody.pid'))};`,
    PROSODY_CFG,
  );
  cfg = edit(cfg, '"/var/log/prosody/prosody.log"', q(join(dir, 'prosody.log')), PROSODY_CFG);
  cfg = edit(cfg, '"/var/log/prosody/prosody.err"', q(join(dir, 'prosody.err')), PROSODY_CFG);
  // No syslog in a test: the same sink goes to the console (the harness reads it), at info
  // (LAB_PROSODY_LOG_LEVEL=debug: every stanza too).
  cfg = edit(
    cfg,
    /\{ levels = \{ "error" \}; to = "syslog";\s*\};/,
    `{ levels = { min = ${q(process.env.LAB_PROSODY_LOG_LEVEL ?? 'info')} }; to = "console"; };`,
    PROSODY_CFG,
  );
  cfg = edit(cfg, /^VirtualHost "localhost"$/m, `VirtualHost ${q(opts.domain)}`, PROSODY_CFG);
  // Debian's build keeps data in /var/lib/prosody; the certificate is found in certificates =
  // "certs" (beside the config) by its domain's name.
  const header = [
    "-- The lab: Debian's stock prosody.cfg.lua with the domain, certificates and paths of a test.",
    `data_path = ${q(join(dir, 'data'))}`,
    `ssl = { cafile = ${q(join(dir, 'lab-ca.crt'))} } -- the lab CA (s2s_secure_auth stays on)`,
    '',
  ].join('\n');
  const cfgFile = join(dir, 'prosody.cfg.lua');
  await writeFile(cfgFile, header + cfg);
  await Promise.all(['data', 'certs', 'conf.d'].map((d) => mkdir(join(dir, d))));
  await copyFile(opts.cert.certFile, join(dir, 'certs', `${opts.domain}.crt`));
  await copyFile(opts.cert.keyFile, join(dir, 'certs', `${opts.domain}.key`));
  await copyFile(opts.caFile, join(dir, 'lab-ca.crt'));
  await giveTo('prosody', dir);
  for (const { user, password } of opts.accounts)
    await run('prosodyctl', ['--config', cfgFile, 'register', user, opts.domain, password]);

  // Its log (the console sink) is also kept in reports/logs/prosody-<domain>.log: the temp dir
  // goes with the test.
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `prosody-${opts.domain}.log`));
  // As the `prosody` user, as Debian's systemd unit starts it (the daemon refuses root; only
  // prosodyctl switches users by itself).
  const child = await spawnChild(
    tool('ip'),
    [
      'netns',
      'exec',
      opts.ns,
      'setpriv',
      '--reuid=prosody',
      '--regid=prosody',
      '--init-groups',
      'prosody',
      '--config',
      cfgFile,
      '-F',
    ],
    { onLine: (line) => log.write(`${line}\n`) },
  );
  void child.exited.then(() => log.end());
  cleanup.add(`stock prosody ${opts.domain}`, () => child.stop(5_000));
  for (const service of ['c2s', 's2s'])
    await child.output.wait((l) => l.includes(`Activated service '${service}' on [`), {
      what: `prosody (${opts.domain}) to listen for ${service}`,
      timeoutMs: 20_000,
    });
  return {
    software: 'prosody',
    domain: opts.domain,
    ns: opts.ns,
    address: opts.address,
    jid: (user) => `${user}@${opts.domain}`,
    child,
    dir,
  };
}

const EJABBERD_YML = '/etc/ejabberd/ejabberd.yml';

/** ejabberd from Debian's stock config, run by ejabberdctl (as the `ejabberd` user) in `ns`. */
export async function startStockEjabberd(cleanup: Cleanup, opts: StockXmppOptions): Promise<StockXmpp> {
  const dir = await makeTempDir('ejabberd-stock');
  cleanup.add(`stock ejabberd dir ${dir}`, () => removeTempDir(dir));
  const pem = join(dir, `${opts.domain}.pem`);
  const ca = join(dir, 'lab-ca.crt');
  let yml = await readFile(EJABBERD_YML, 'utf8');
  yml = edit(yml, /^hosts:\n {2}- localhost$/m, `hosts:\n  - ${opts.domain}`, EJABBERD_YML);
  yml = edit(
    yml,
    /^ {2}- "\/etc\/ejabberd\/ejabberd\.pem"$/m,
    `  - ${JSON.stringify(pem)}\n# The lab CA (s2s certificates).\nca_file: ${JSON.stringify(ca)}`,
    EJABBERD_YML,
  );
  await writeFile(join(dir, 'ejabberd.yml'), yml);
  await writeFile(
    pem,
    `${await readFile(opts.cert.certFile, 'utf8')}\n${await readFile(opts.cert.keyFile, 'utf8')}`,
  );
  await copyFile(opts.caFile, ca);
  await copyFile('/etc/ejabberd/inetrc', join(dir, 'inetrc'));
  await writeFile(join(dir, 'ejabberdctl.cfg'), '');
  await Promise.all(['spool', 'logs'].map((d) => mkdir(join(dir, d))));
  await giveTo('ejabberd', dir);
  // A node name of its own (the namespace has its own epmd); ejabberdctl runs inside the namespace.
  const node = `bitween-lab-${process.pid}-${Date.now() % 100000}@localhost`;
  const common = ['--config-dir', dir, '--ctl-config', join(dir, 'ejabberdctl.cfg'), '--node', node];
  const ctl = (...args: string[]) => runIn(opts.ns, 'ejabberdctl', [...common, ...args], 60_000);
  const child = await spawnChild(tool('ip'), [
    'netns',
    'exec',
    opts.ns,
    'ejabberdctl',
    ...common,
    '--config',
    join(dir, 'ejabberd.yml'),
    '--spool',
    join(dir, 'spool'),
    '--logs',
    join(dir, 'logs'),
    'foreground',
  ]);
  cleanup.add(`stock ejabberd ${opts.domain}`, async () => {
    if (child.isAlive()) {
      await ctl('stop').catch(() => undefined);
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    await child.stop(5_000);
  });
  await child.output.wait((l) => / is started in the node /.test(l), {
    what: `ejabberd (${opts.domain}) to start`,
    timeoutMs: 90_000,
  });
  for (const { user, password } of opts.accounts) await ctl('register', user, opts.domain, password);
  return {
    software: 'ejabberd',
    domain: opts.domain,
    ns: opts.ns,
    address: opts.address,
    jid: (user) => `${user}@${opts.domain}`,
    child,
    dir,
  };
}
