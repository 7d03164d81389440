import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnChild, type Child } from '../harness/child.js';
import type { Cleanup } from '../harness/cleanup.js';
import { tool, which } from './netns.js';

/**
 * The lab's DNS server: dnsmasq (Debian's dnsmasq-base) in the internet namespace, authoritative
 * for the lab's names only (no upstream, no /etc/hosts), logging every query. Namespaces use it
 * through `/etc/netns/<ns>/resolv.conf`, which `ip netns exec` mounts over /etc/resolv.conf.
 */
export interface LabDns {
  address: string;
  child: Child;
  /** The queries dnsmasq logged so far: `{type, name, from}`. */
  queries(): { type: string; name: string; from: string }[];
}

export interface DnsRecords {
  /** `name` → IPv4 address (A records). */
  a: Record<string, string>;
  /** SRV records: `_service._tcp.domain` → target host and port. */
  srv: { name: string; target: string; port: number }[];
}

export async function startDns(
  cleanup: Cleanup,
  opts: { ns: string; address: string; records: DnsRecords; localDomains: string[] },
): Promise<LabDns> {
  const dnsmasq = which('dnsmasq');
  if (!dnsmasq) throw new Error('dnsmasq not found (apt: dnsmasq-base)');
  const child = await spawnChild(tool('ip'), [
    'netns',
    'exec',
    opts.ns,
    dnsmasq,
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    `--listen-address=${opts.address}`,
    '--bind-interfaces',
    '--port=53',
    '--pid-file=',
    '--user=nobody',
    '--group=nogroup',
    '--log-queries',
    '--log-facility=-',
    // Answer for these domains only from the records below (NXDOMAIN for any other name in them).
    ...opts.localDomains.map((d) => `--local=/${d}/`),
    ...Object.entries(opts.records.a).map(([name, address]) => `--host-record=${name},${address}`),
    ...opts.records.srv.map((r) => `--srv-host=${r.name},${r.target},${r.port},0,5`),
  ]);
  cleanup.add('dns server (dnsmasq)', () => child.stop(5_000));
  // It exits (the wait then rejects with its last lines) when it cannot bind or parse an option.
  await child.output.wait((l) => /^dnsmasq(\[\d+\])?: started/.test(l), {
    what: 'the DNS server (dnsmasq) to start',
    timeoutMs: 10_000,
  });
  return {
    address: opts.address,
    child,
    queries: () =>
      child.output.items
        .map((l) => /query\[(\w+)\] (\S+) from (\S+)/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ type: m[1]!, name: m[2]!, from: m[3]! })),
  };
}

/**
 * Makes programs run with `ip netns exec ns …` resolve through `server` (a per-namespace
 * resolv.conf); removed by `cleanup`. Must be written before those programs start.
 */
export async function useResolver(cleanup: Cleanup, ns: string, server: string): Promise<void> {
  const dir = join('/etc/netns', ns);
  await mkdir(dir, { recursive: true });
  cleanup.add(`resolver of ${ns}`, () => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'resolv.conf'), `nameserver ${server}\noptions timeout:2 attempts:3\n`);
}
