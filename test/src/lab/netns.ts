import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Where a system tool lives (Debian puts ip, iptables and miniupnpd in /usr/sbin, which a PATH may lack). */
export function which(tool: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const path = `${dir}/${tool}`;
    if (existsSync(path)) return path;
  }
  return null;
}

/** The tools the lab runs; `iptables-legacy` because Debian's miniupnpd-iptables writes through libiptc (legacy). */
const TOOLS = [
  'ip',
  'iptables-legacy',
  'ip6tables-legacy',
  'sysctl',
  'tc',
  'miniupnpd',
  'turnserver',
  'nats-server',
  'prosody',
] as const;

/**
 * Why the network lab cannot run here (not root, a tool missing), or null when it can. Tests use
 * it with `describe.skipIf` and print the reason.
 */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'the network lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the network lab needs root (network namespaces, iptables)';
  const missing = TOOLS.filter((t) => which(t) === null);
  if (missing.length > 0)
    return `the network lab needs ${missing.join(', ')} (apt: iproute2 iptables miniupnpd coturn nats-server prosody)`;
  return null;
}

export function tool(name: (typeof TOOLS)[number]): string {
  const path = which(name);
  if (!path) throw new Error(`${name} not found`);
  return path;
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export async function run(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Runs `cmd args` inside the network namespace `ns`. */
export function runIn(ns: string, cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return run(tool('ip'), ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** `ip -n NS args` */
export function ipIn(ns: string, args: readonly string[]): Promise<string> {
  return run(tool('ip'), ['-n', ns, ...args]);
}

/**
 * Lab namespaces are named `bwlab<pid>-<role>`: the pid of the test process that made them, so a
 * later run can tell which ones a crashed run left behind.
 */
export const LAB_PREFIX = 'bwlab';
const NAME = /^bwlab(\d+)-[A-Za-z0-9-]+$/;

export function labPrefix(pid = process.pid): string {
  return `${LAB_PREFIX}${pid}`;
}

export async function listNamespaces(): Promise<string[]> {
  const out = await run(tool('ip'), ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs every process still inside `ns` and deletes it (its veths go with it). */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await run(tool('ip'), ['netns', 'pids', ns]).catch(() => '');
  for (const pid of pids
    .split('\n')
    .map(Number)
    .filter((n) => n > 0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run(tool('ip'), ['netns', 'delete', ns]).catch(() => undefined);
}

/**
 * Deletes the lab namespaces of earlier runs whose test process is gone (a crash, a SIGKILL), with
 * whatever still runs inside them. Returns their names.
 */
export async function removeStaleLabs(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((n) => {
    const m = NAME.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]));
  });
  for (const ns of stale) await deleteNamespace(ns);
  // Their per-namespace resolver files (/etc/netns/<ns>/resolv.conf: the federation lab's DNS).
  const etc = await readdir('/etc/netns').catch(() => [] as string[]);
  for (const name of etc) {
    const m = NAME.exec(name);
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1])))
      await rm(`/etc/netns/${name}`, { recursive: true, force: true });
  }
  return stale;
}
