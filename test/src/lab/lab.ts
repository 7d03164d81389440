import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnChild, type Child } from '../harness/child.js';
import { makeTempDir, removeTempDir, type Cleanup } from '../harness/cleanup.js';
import { deleteNamespace, ipIn, labPrefix, removeStaleLabs, run, runIn, tool } from './netns.js';

/**
 * The network lab: network namespaces joined by veth pairs, with documentation/test addresses
 * only, never connected to the host's interfaces (every veth is created inside a lab namespace).
 *
 *   internet (203.0.113.1 and .2: STUN/TURN, XMPP; a bridge "br0" joining everyone on 203.0.113.0/24)
 *     ├── router-<home> (wan 203.0.113.<10·n>, lan 192.168.<n>.1) ── server-<home> (192.168.<n>.2)
 *     ├── server-<home> without NAT (203.0.113.<100+n>, "a public address")
 *     └── more public hosts in namespaces of their own (`addPublicHost`: the federation's XMPP servers)
 *
 * Routers: IPv4 forwarding, MASQUERADE (or `--random-fully`: a symmetric NAT), a stateful FORWARD
 * chain that drops unsolicited inbound traffic, optional port forward, optional miniupnpd
 * (UPnP-IGD v2, NAT-PMP, PCP). Rules go through iptables-legacy: Debian's miniupnpd-iptables
 * writes its chains through libiptc, which sees only the legacy tables.
 */

export type NatKind = 'none' | 'masquerade' | 'symmetric';

export interface HomeOptions {
  name: string;
  /** `none`: the server sits on the internet with a public address (no router). Default masquerade. */
  nat?: NatKind;
  /** Run miniupnpd on the router: UPnP-IGD v2, NAT-PMP and PCP (`true`), or NAT-PMP/PCP only. */
  upnp?: boolean | 'nat-pmp-only';
  /** Advertise only the IGD v1 device description (miniupnpd `force_igd_desc_v1`). */
  igdV1Only?: boolean;
  /** With `upnp: true`: also answer NAT-PMP and PCP (default true; false: UPnP-IGD only). */
  natPmp?: boolean;
  /**
   * New inbound IPv4 connections are dropped before any port forward, as when a carrier-grade NAT
   * sits in front of the router: its IPv4 mappings lead nowhere (IPv6 is unaffected).
   */
  ipv4Unreachable?: boolean;
  /** TCP ports the router forwards to the server by hand (the README's advice). */
  forwardPorts?: number[];
}

export interface Home {
  name: string;
  nat: NatKind;
  /** The namespace bitween runs in. */
  serverNs: string;
  serverAddress: string;
  /** With `ipv6`: the server's global IPv6 address (routed, no NAT; the router's firewall is stateful). */
  serverAddress6: string | null;
  /** The router's namespace and addresses (null without NAT). */
  router: { ns: string; wan: string; lan: string; miniupnpd: Child | null } | null;
  /** The address the internet sees this home's connections from. */
  publicAddress: string;
}

/** coturn's TURN service (TURN REST API credentials: an HMAC of a shared secret, as Prosody's mod_turn_external hands out). */
export interface Turn {
  host: string;
  port: number;
  secret: string;
  realm: string;
}

export interface Lab {
  prefix: string;
  internet: {
    ns: string;
    address: string;
    address6: string | null;
    stunAddress: string;
    stunPort: number;
    turn: Turn;
    /** coturn (its output: `turnserver.output`). */
    turnserver: Child;
  };
  homes: Record<string, Home>;
  /** A command inside a lab namespace (stdout). */
  exec(ns: string, cmd: string, args: readonly string[]): Promise<string>;
  /** Packets that went through the router's UPnP/NAT-PMP port forwards (DNAT rules miniupnpd added). */
  mappedPackets(home: string): Promise<number>;
  /** Bytes the router forwarded over IPv6 (both directions: its ip6tables FORWARD rules' counters). */
  forwardedBytes6(home: string): Promise<number>;
  /** The TCP port forwards miniupnpd holds (external port → internal address:port). */
  upnpRedirects(home: string): Promise<{ externalPort: number; to: string }[]>;
  /** The IPv6 pinholes miniupnpd holds in the router's firewall (`[address]:port`, TCP). */
  pinholes6(home: string): Promise<string[]>;
  /** Packets let in through the router's IPv6 pinholes (its MINIUPNPD ip6tables chain's counters). */
  pinholePackets6(home: string): Promise<number>;
  /**
   * One more host in a namespace of its own on the internet, at 203.0.113.`octet` (e.g. an XMPP
   * server of the federation lab); deleted with the lab.
   */
  addPublicHost(role: string, octet: number): Promise<{ ns: string; address: string }>;
}

const INTERNET_NET = '203.0.113';
/** An iptables rule's match and target: let in what answers a connection from inside. */
const ESTABLISHED = ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'];

/** Builds the lab; `cleanup` kills what runs inside and deletes every namespace. */
export async function startLab(
  cleanup: Cleanup,
  opts: {
    homes: HomeOptions[];
    /**
     * Also IPv6 (2001:db8::/32), routed without NAT: the internet 2001:db8::/64 (the internet
     * namespace, 2001:db8::1, routes between homes), home n 2001:db8:n::/64 behind its router,
     * whose ip6tables FORWARD lets in only established traffic; public servers 2001:db8::100+n.
     */
    ipv6?: boolean;
    /**
     * Caps every home's link to the internet at this many Mbit/s in each direction (`tbf` on both
     * ends of the WAN veth: the kernel here has no netem); uncapped when absent.
     */
    wanMbit?: number;
  },
): Promise<Lab> {
  await removeStaleLabs();
  const prefix = `${labPrefix()}-${randomUUID().slice(0, 4)}`;
  const made: string[] = [];
  cleanup.add(`network lab ${prefix}`, async () => {
    for (const ns of made.reverse()) await deleteNamespace(ns);
  });
  const dir = await makeTempDir('lab');
  cleanup.add(`lab dir ${dir}`, () => removeTempDir(dir));

  const addNs = async (role: string) => {
    const ns = `${prefix}-${role}`;
    await run(tool('ip'), ['netns', 'add', ns]);
    made.push(ns);
    await ipIn(ns, ['link', 'set', 'lo', 'up']);
    return ns;
  };
  const ipt = (ns: string, args: string[]) => runIn(ns, tool('iptables-legacy'), ['-w', ...args]);
  const ip6t = (ns: string, args: string[]) => runIn(ns, tool('ip6tables-legacy'), ['-w', ...args]);
  const v6 = opts.ipv6 === true;
  /** A static IPv6 address without duplicate address detection (usable at once). */
  const addr6 = (ns: string, cidr: string, dev: string) =>
    ipIn(ns, ['-6', 'addr', 'add', cidr, 'dev', dev, 'nodad']);
  const sysctl = (ns: string, kv: string) => runIn(ns, tool('sysctl'), ['-qw', kv]);

  // The internet: a bridge all routers and public servers plug into.
  const inet = await addNs('inet');
  await ipIn(inet, ['link', 'add', 'br0', 'type', 'bridge']);
  await ipIn(inet, ['link', 'set', 'br0', 'up']);
  const internet = {
    ns: inet,
    address: `${INTERNET_NET}.1`,
    address6: v6 ? '2001:db8::1' : null,
    stunAddress: `${INTERNET_NET}.1`,
    stunPort: 3478,
    turn: {
      host: `${INTERNET_NET}.1`,
      port: 3478,
      secret: randomUUID(),
      realm: 'lab.bitween.test',
    },
  };
  // .2: the STUN server's alternate address (RFC 5780 tests, which miniupnpd's STUN performs).
  for (const a of [`${INTERNET_NET}.1/24`, `${INTERNET_NET}.2/24`])
    await ipIn(inet, ['addr', 'add', a, 'dev', 'br0']);
  if (v6) {
    await addr6(inet, '2001:db8::1/64', 'br0');
    await sysctl(inet, 'net.ipv6.conf.all.forwarding=1');
  }

  /** A veth pair from the internet bridge into `ns` (named `wan` there), capped with `wanMbit`. */
  const plugIntoInternet = async (ns: string, port: string, address: string) => {
    await ipIn(inet, ['link', 'add', port, 'type', 'veth', 'peer', 'name', 'wan', 'netns', ns]);
    await ipIn(inet, ['link', 'set', port, 'master', 'br0', 'up']);
    await ipIn(ns, ['addr', 'add', `${address}/24`, 'dev', 'wan']);
    await ipIn(ns, ['link', 'set', 'wan', 'up']);
    if (opts.wanMbit !== undefined) {
      await capEgress(ns, 'wan', opts.wanMbit); // upload
      await capEgress(inet, port, opts.wanMbit); // download
    }
  };

  const stun = await startStunTurn(inet, internet.address, `${INTERNET_NET}.2`, internet.turn);
  cleanup.add('stun/turn server', () => stun.stop(5_000));

  const homes: Record<string, Home> = {};
  const daemons: Promise<void>[] = [];
  for (const [i, h] of opts.homes.entries()) {
    const n = i + 1;
    const nat = h.nat ?? 'masquerade';
    const serverNs = await addNs(`srv-${h.name}`);
    if (nat === 'none') {
      const address = `${INTERNET_NET}.${100 + n}`;
      await plugIntoInternet(serverNs, `p${n}`, address);
      await ipIn(serverNs, ['route', 'add', 'default', 'via', internet.address]);
      const address6 = v6 ? `2001:db8::${100 + n}` : null;
      if (address6) {
        await addr6(serverNs, `${address6}/64`, 'wan');
        await ipIn(serverNs, ['-6', 'route', 'add', 'default', 'via', '2001:db8::1']);
      }
      homes[h.name] = {
        name: h.name,
        nat,
        serverNs,
        serverAddress: address,
        serverAddress6: address6,
        router: null,
        publicAddress: address,
      };
      continue;
    }
    const routerNs = await addNs(`rtr-${h.name}`);
    const wan = `${INTERNET_NET}.${10 * n}`;
    const lan = `192.168.${n}.1`;
    const serverAddress = `192.168.${n}.2`;
    await plugIntoInternet(routerNs, `r${n}`, wan);
    await ipIn(routerNs, ['route', 'add', 'default', 'via', internet.address]);
    await ipIn(routerNs, ['link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', serverNs]);
    await ipIn(routerNs, ['addr', 'add', `${lan}/24`, 'dev', 'lan']);
    await ipIn(routerNs, ['link', 'set', 'lan', 'up']);
    await ipIn(serverNs, ['addr', 'add', `${serverAddress}/24`, 'dev', 'eth0']);
    await ipIn(serverNs, ['link', 'set', 'eth0', 'up']);
    await ipIn(serverNs, ['route', 'add', 'default', 'via', lan]);
    await sysctl(routerNs, 'net.ipv4.ip_forward=1');
    const serverAddress6 = v6 ? `2001:db8:${n}::2` : null;
    if (v6) {
      const wan6 = `2001:db8::${10 * n}`;
      await addr6(routerNs, `${wan6}/64`, 'wan');
      await addr6(routerNs, `2001:db8:${n}::1/64`, 'lan');
      await addr6(serverNs, `${serverAddress6}/64`, 'eth0');
      await ipIn(routerNs, ['-6', 'route', 'add', 'default', 'via', '2001:db8::1']);
      await ipIn(serverNs, ['-6', 'route', 'add', 'default', 'via', `2001:db8:${n}::1`]);
      await ipIn(inet, ['-6', 'route', 'add', `2001:db8:${n}::/64`, 'via', wan6]);
      await sysctl(routerNs, 'net.ipv6.conf.all.forwarding=1');
      // A home router's IPv6 firewall: out and back in, nothing unsolicited (ICMPv6 errors pass)
      // but the pinholes miniupnpd opens (PCP, IGD v2 AddPinhole) in its chain, as its
      // ip6tables_init.sh makes it (empty without miniupnpd).
      await ip6t(routerNs, ['-P', 'FORWARD', 'DROP']);
      await ip6t(routerNs, ['-A', 'FORWARD', ...ESTABLISHED]);
      await ip6t(routerNs, ['-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT']);
      await ip6t(routerNs, ['-A', 'FORWARD', '-p', 'ipv6-icmp', '-j', 'ACCEPT']);
      await ip6t(routerNs, ['-N', 'MINIUPNPD']);
      await ip6t(routerNs, ['-A', 'FORWARD', '-i', 'wan', '!', '-o', 'wan', '-j', 'MINIUPNPD']);
    }

    // miniupnpd's chains exist on every router (empty without miniupnpd), as its init script makes them.
    for (const [table, chain, hook, dir] of [
      ['nat', 'MINIUPNPD', 'PREROUTING', '-i'],
      ['nat', 'MINIUPNPD-POSTROUTING', 'POSTROUTING', '-o'],
      ['mangle', 'MINIUPNPD', 'PREROUTING', '-i'],
    ] as const) {
      await ipt(routerNs, ['-t', table, '-N', chain]);
      await ipt(routerNs, ['-t', table, '-A', hook, dir, 'wan', '-j', chain]);
    }
    await ipt(routerNs, [
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-o',
      'wan',
      '-j',
      'MASQUERADE',
      ...(nat === 'symmetric' ? ['--random-fully'] : []),
    ]);
    await ipt(routerNs, ['-N', 'MINIUPNPD']);
    await ipt(routerNs, ['-P', 'FORWARD', 'DROP']);
    await ipt(routerNs, ['-A', 'FORWARD', ...ESTABLISHED]);
    if (h.ipv4Unreachable)
      await ipt(routerNs, [
        '-A',
        'FORWARD',
        '-i',
        'wan',
        '-m',
        'conntrack',
        '--ctstate',
        'NEW',
        '-j',
        'DROP',
      ]);
    await ipt(routerNs, ['-A', 'FORWARD', '-i', 'wan', '!', '-o', 'wan', '-j', 'MINIUPNPD']);
    await ipt(routerNs, ['-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT']);
    for (const port of h.forwardPorts ?? []) {
      await ipt(routerNs, [
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'wan',
        '-p',
        'tcp',
        '--dport',
        String(port),
        '-j',
        'DNAT',
        '--to-destination',
        `${serverAddress}:${port}`,
      ]);
      await ipt(routerNs, [
        '-A',
        'FORWARD',
        '-i',
        'wan',
        '-o',
        'lan',
        '-p',
        'tcp',
        '-d',
        serverAddress,
        '--dport',
        String(port),
        '-j',
        'ACCEPT',
      ]);
    }
    // The router itself: answers its LAN (UPnP, NAT-PMP), the STUN server (RFC 5780 answers come
    // from the alternate address, which conntrack does not relate), and nothing else from outside.
    await ipt(routerNs, ['-P', 'INPUT', 'DROP']);
    await ipt(routerNs, ['-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT']);
    await ipt(routerNs, ['-A', 'INPUT', ...ESTABLISHED]);
    await ipt(routerNs, ['-A', 'INPUT', '-i', 'lan', '-j', 'ACCEPT']);
    await ipt(routerNs, ['-A', 'INPUT', '-i', 'wan', '-p', 'udp', '-s', `${INTERNET_NET}.1`, '-j', 'ACCEPT']);
    await ipt(routerNs, ['-A', 'INPUT', '-i', 'wan', '-p', 'udp', '-s', `${INTERNET_NET}.2`, '-j', 'ACCEPT']);

    const router: NonNullable<Home['router']> = { ns: routerNs, wan, lan, miniupnpd: null };
    homes[h.name] = {
      name: h.name,
      nat,
      serverNs,
      serverAddress,
      serverAddress6,
      router,
      publicAddress: wan,
    };
    if (h.upnp) {
      // Started together: each spends ~3 s on its STUN tests.
      daemons.push(
        startMiniupnpd({
          ns: routerNs,
          dir: join(dir, `miniupnpd-${h.name}`),
          lanCidr: `192.168.${n}.0/24`,
          stun: internet,
          igdV1Only: h.igdV1Only ?? false,
          upnp: h.upnp === true,
          natPmp: h.upnp !== true || h.natPmp !== false,
        }).then((child) => {
          router.miniupnpd = child;
          cleanup.add(`miniupnpd ${h.name}`, () => child.stop(5_000));
        }),
      );
    }
  }
  const started = await Promise.allSettled(daemons);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;

  const routerOf = (home: string) => {
    const r = homes[home]?.router;
    if (!r) throw new Error(`${home} has no router`);
    return r;
  };
  return {
    prefix,
    internet: { ...internet, turnserver: stun },
    homes,
    exec: (ns, cmd, args) => runIn(ns, cmd, args),
    async addPublicHost(role, octet) {
      const ns = await addNs(role);
      const address = `${INTERNET_NET}.${octet}`;
      await plugIntoInternet(ns, `h${octet}`, address);
      await ipIn(ns, ['route', 'add', 'default', 'via', internet.address]);
      return { ns, address };
    },
    async mappedPackets(home) {
      const out = await ipt(routerOf(home).ns, ['-t', 'nat', '-L', 'MINIUPNPD', '-v', '-n', '-x']);
      return out
        .split('\n')
        .filter((l) => /DNAT/.test(l))
        .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
    },
    async forwardedBytes6(home) {
      const out = await ip6t(routerOf(home).ns, ['-L', 'FORWARD', '-v', '-n', '-x']);
      return out
        .split('\n')
        .slice(2) // the chain's header and column names
        .filter((l) => /ACCEPT/.test(l))
        .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[1] ?? 0), 0);
    },
    async pinholes6(home) {
      const rules = await ip6t(routerOf(home).ns, ['-S', 'MINIUPNPD']);
      return [...rules.matchAll(/-d (\S+?)(?:\/128)? .*-p tcp .*--dport (\d+)/g)].map(
        (m) => `[${m[1]}]:${m[2]}`,
      );
    },
    async pinholePackets6(home) {
      const out = await ip6t(routerOf(home).ns, ['-L', 'MINIUPNPD', '-v', '-n', '-x']);
      return out
        .split('\n')
        .filter((l) => /ACCEPT/.test(l))
        .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
    },
    async upnpRedirects(home) {
      // `-S` prints the DNAT target of libiptc's revision as "[unsupported revision]" on some
      // iptables builds, so the destination comes from the FORWARD-side MINIUPNPD filter rules.
      const nat = await ipt(routerOf(home).ns, ['-t', 'nat', '-S', 'MINIUPNPD']);
      const filter = await ipt(routerOf(home).ns, ['-S', 'MINIUPNPD']);
      const targets = [...filter.matchAll(/-d (\S+?)(?:\/32)? .*--dport (\d+)/g)].map(
        (m) => `${m[1]}:${m[2]}`,
      );
      return [...nat.matchAll(/-p tcp -m tcp --dport (\d+)/g)].map((m, i) => ({
        externalPort: Number(m[1]),
        to: targets[i] ?? '?',
      }));
    },
  };
}

/**
 * A token bucket on `dev`'s egress: `mbit` Mbit/s, a 256 KiB burst, at most 50 ms of queue (the
 * kernel here has tbf and htb, no netem/fq/sfq).
 */
async function capEgress(ns: string, dev: string, mbit: number): Promise<void> {
  await runIn(ns, tool('tc'), [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${mbit}mbit`,
    'burst',
    '256kb',
    'latency',
    '50ms',
  ]);
}

/**
 * coturn in the internet: STUN (RFC 5389, and RFC 5780 on two addresses: miniupnpd's tests) and
 * TURN with TURN REST API credentials (`use-auth-secret`: what Prosody's mod_turn_external hands
 * out through XEP-0215), relaying from `address`. coturn refuses relaying to some ranges unless
 * allowed: the lab's peers are RFC 5737 documentation and RFC 1918 addresses, allowed explicitly.
 */
async function startStunTurn(ns: string, address: string, alternate: string, turn: Turn): Promise<Child> {
  const dir = await makeTempDir('stun');
  const child = await spawnChild(tool('ip'), [
    'netns',
    'exec',
    ns,
    tool('turnserver'),
    '-n', // no configuration file: everything is on the command line
    `--listening-ip=${address}`,
    `--listening-ip=${alternate}`,
    `--listening-port=${turn.port}`,
    `--relay-ip=${address}`,
    '--min-port=49152',
    '--max-port=65535',
    '--use-auth-secret',
    `--static-auth-secret=${turn.secret}`,
    `--realm=${turn.realm}`,
    '--fingerprint',
    `--allowed-peer-ip=${INTERNET_NET}.0-${INTERNET_NET}.255`,
    '--allowed-peer-ip=192.168.0.0-192.168.255.255',
    '--no-multicast-peers',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ]);
  void child.exited.then(() => removeTempDir(dir));
  await child.output.wait((l) => l.includes('Total General servers'), {
    what: 'the STUN/TURN server (coturn) to start',
    timeoutMs: 20_000,
  });
  return child;
}

/**
 * miniupnpd on a router, in the foreground (-d) with its own config, pid file and lease file.
 * It refuses RFC 5737 addresses as its external IP, so it learns it by STUN (`ext_perform_stun`)
 * from the lab's STUN server, which also tells it the router is not behind another NAT.
 */
async function startMiniupnpd(opts: {
  ns: string;
  dir: string;
  lanCidr: string;
  stun: { stunAddress: string; stunPort: number };
  igdV1Only: boolean;
  /** false: NAT-PMP and PCP only. */
  upnp: boolean;
  /** false: UPnP-IGD only (no NAT-PMP, no PCP). */
  natPmp: boolean;
}): Promise<Child> {
  await run('mkdir', ['-p', opts.dir]);
  const conf = join(opts.dir, 'miniupnpd.conf');
  await writeFile(
    conf,
    [
      'ext_ifname=wan',
      'listening_ip=lan',
      'http_port=0',
      `enable_natpmp=${opts.natPmp ? 'yes' : 'no'}`,
      `enable_upnp=${opts.upnp ? 'yes' : 'no'}`,
      'ext_perform_stun=yes',
      `ext_stun_host=${opts.stun.stunAddress}`,
      `ext_stun_port=${opts.stun.stunPort}`,
      'secure_mode=yes',
      'system_uptime=yes',
      `force_igd_desc_v1=${opts.igdV1Only ? 'yes' : 'no'}`,
      `lease_file=${join(opts.dir, 'upnp.leases')}`,
      `uuid=${randomUUID()}`,
      'min_lifetime=120',
      'max_lifetime=86400',
      `allow 1024-65535 ${opts.lanCidr} 1024-65535`,
      'deny 0-65535 0.0.0.0/0 0-65535',
      '',
    ].join('\n'),
  );
  const child = await spawnChild(tool('ip'), [
    'netns',
    'exec',
    opts.ns,
    tool('miniupnpd'),
    '-d',
    '-f',
    conf,
    '-P',
    join(opts.dir, 'miniupnpd.pid'),
  ]);
  // Its last words when ready: the NAT-PMP/PCP socket, else (UPnP only) the HTTP server.
  const ready = opts.natPmp ? 'Listening for NAT-PMP/PCP traffic' : 'HTTP listening on port';
  const line = await child.output.wait(
    (l) =>
      l.includes(ready) ||
      l.includes('does not support port forwarding') ||
      l.includes('Error') ||
      l.includes('Failed'),
    { what: `miniupnpd in ${opts.ns} to start`, timeoutMs: 30_000 },
  );
  if (!line.includes(ready)) {
    await child.stop(2_000);
    throw new Error(`miniupnpd in ${opts.ns} did not start: ${line}`);
  }
  return child;
}
