import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { client, xml } from '@xmpp/client';
import { Cleanup, makeTempDir, removeTempDir } from '../harness/cleanup.js';
import { waitFor } from '../harness/wait.js';
import { startDns, useResolver, type LabDns } from './dns.js';
import { bridgeInto, startHomeStack, type HomeStack } from './home-stack.js';
import { makeLabCa, type LabCa } from './lab-ca.js';
import type { Lab } from './lab.js';
import { labUnavailable, which } from './netns.js';
import { startStockEjabberd, startStockProsody, type StockXmpp } from './stock-xmpp.js';

/**
 * The federation lab (issue 20): two XMPP servers on different domains, each in its own namespace
 * on the lab's internet and started from Debian's stock config (`stock-xmpp.ts`), Prosody for
 * `a.example` and ejabberd for `b.example`, federating over s2s (certificates from the lab CA,
 * which both trust) through the lab's DNS server (dnsmasq in the internet namespace: SRV records
 * `_xmpp-client._tcp` / `_xmpp-server._tcp` and A records of `xmpp.<domain>`). The servers and
 * the homes resolve through it; the gateways find their server by SRV (no BITWEEN_XMPP_SERVICE)
 * and trust the lab CA (BITWEEN_XMPP_TLS_CA_FILE), as a self-hoster's would a public CA.
 */

export const DOMAINS = { prosody: 'a.example', ejabberd: 'b.example' } as const;
/** Where the servers sit on the lab's internet (203.0.113.x). */
const OCTETS = { prosody: 51, ejabberd: 52 } as const;

export interface Federation {
  dns: LabDns;
  ca: LabCa;
  prosody: StockXmpp;
  ejabberd: StockXmpp;
}

/** Why the federation lab cannot run here, or null. */
export function federationUnavailable(): string | null {
  const lab = labUnavailable();
  if (lab) return lab;
  const missing = ['dnsmasq', 'ejabberdctl', 'prosodyctl', 'openssl'].filter((t) => which(t) === null);
  return missing.length > 0
    ? `the federation lab needs ${missing.join(', ')} (apt: dnsmasq-base ejabberd prosody openssl)`
    : null;
}

export const password = (user: string) => `${user}-pw`;

/**
 * DNS, the lab CA and both servers, with accounts `users` (password `<user>-pw`) on each. Every
 * home's server namespace resolves through the lab DNS.
 */
export async function startFederation(cleanup: Cleanup, lab: Lab, users: string[]): Promise<Federation> {
  const dir = await makeTempDir('federation');
  cleanup.add(`federation dir ${dir}`, () => removeTempDir(dir));
  const ca = await makeLabCa(dir);
  const hosts = {
    prosody: await lab.addPublicHost('xmpp-a', OCTETS.prosody),
    ejabberd: await lab.addPublicHost('xmpp-b', OCTETS.ejabberd),
  };
  const kinds = ['prosody', 'ejabberd'] as const;
  const dns = await startDns(cleanup, {
    ns: lab.internet.ns,
    address: lab.internet.address,
    localDomains: Object.values(DOMAINS),
    records: {
      a: Object.fromEntries(kinds.map((k) => [`xmpp.${DOMAINS[k]}`, hosts[k].address])),
      srv: kinds.flatMap((k) => [
        { name: `_xmpp-client._tcp.${DOMAINS[k]}`, target: `xmpp.${DOMAINS[k]}`, port: 5222 },
        { name: `_xmpp-server._tcp.${DOMAINS[k]}`, target: `xmpp.${DOMAINS[k]}`, port: 5269 },
      ]),
    },
  });
  for (const ns of [...kinds.map((k) => hosts[k].ns), ...Object.values(lab.homes).map((h) => h.serverNs)])
    await useResolver(cleanup, ns, dns.address);
  const accounts = users.map((user) => ({ user, password: password(user) }));
  const options = async (k: (typeof kinds)[number]) => ({
    ...hosts[k],
    domain: DOMAINS[k],
    cert: await ca.issue(DOMAINS[k]),
    caFile: ca.caFile,
    accounts,
  });
  const [prosody, ejabberd] = await Promise.all([
    startStockProsody(cleanup, await options('prosody')),
    startStockEjabberd(cleanup, await options('ejabberd')),
  ]);
  return { dns, ca, prosody, ejabberd };
}

/**
 * The two friends' bitweens, alice on `servers.alice` and bob on `servers.bob`, online and made
 * friends the way users do: alice asks from a plain XMPP client of hers ("her phone"), bob approves
 * in bitween (REST), which subscribes back, and alice approves that in hers: mutual presence
 * subscription, over s2s when the servers differ.
 */
export async function startFriendsOn(
  cleanup: Cleanup,
  lab: Lab,
  fed: Federation,
  servers: { alice: StockXmpp; bob: StockXmpp },
): Promise<{ alice: HomeStack; bob: HomeStack }> {
  const [alice, bob] = await Promise.all(
    (['alice', 'bob'] as const).map((user) =>
      startHomeStack(cleanup, {
        home: lab.homes[user]!,
        user,
        password: password(user),
        xmpp: { jid: (u) => servers[user].jid(u) }, // no service: SRV lookup through the lab DNS
        gatewayEnv: {
          BITWEEN_XMPP_TLS_CA_FILE: fed.ca.caFile,
          // The bulk session as the test run's environment says (the gateway's default otherwise).
          ...(process.env.BITWEEN_XMPP_BULK_SESSION
            ? { BITWEEN_XMPP_BULK_SESSION: process.env.BITWEEN_XMPP_BULK_SESSION }
            : {}),
        },
      }),
    ),
  );
  await Promise.all(
    [alice!, bob!].map((n) =>
      n.gateway.waitForLog((l) => l.msg === 'XMPP online', { what: `${n.user} online`, timeoutMs: 60_000 }),
    ),
  );
  await befriend(fed, servers.alice, alice!, bob!);
  return { alice: alice!, bob: bob! };
}

let trustsLabCa = false;

/**
 * A plain XMPP client of `user` on `server` (from the test, through a bridge into its namespace),
 * online as a phone is: it sends its available presence. (A session that never does makes
 * ejabberd 23.01 stop pushing the account's PEP changes to its contacts until it leaves: with
 * such a session of alice's open, bob never got her next list.)
 */
export async function phone(cleanup: Cleanup, fed: Federation, server: StockXmpp, user: string) {
  if (!trustsLabCa) {
    // The test process's own TLS trusts the lab CA too (as the gateways do with BITWEEN_XMPP_TLS_CA_FILE).
    const pem = await readFile(fed.ca.caFile, 'utf8');
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), pem]);
    trustsLabCa = true;
  }
  const port = await bridgeInto(cleanup, server.ns, 5222, server.address);
  const c = client({
    service: `xmpp://127.0.0.1:${port}`,
    domain: server.domain,
    username: user,
    password: password(user),
    resource: 'phone',
  });
  // Logged, not thrown: a lost connection shows up in the test's own steps.
  c.on('error', (err: Error) => console.warn(`${user}'s phone: ${err.message}`));
  c.on('offline', () => console.warn(`${user}'s phone: offline`));
  await c.start();
  // Its presence only once stream management (XEP-0198) is enabled: xmpp.js 0.14 is online after
  // resource binding and sends <enable/> after that, so a presence sent at once goes out first,
  // and the stanzas it brings back (our own presence, bitween's, bitween's IQ to the new
  // resource) reach the phone before <enabled/>. The phone then counted them in its acknowledged
  // 'h' (4 where Prosody had sent 1 since <enabled/>), and Prosody closed its stream ("Client
  // acknowledged more stanzas than sent by server"), seen in a lab run with the bulk session on.
  const sm = (c as unknown as { streamManagement: { enabled: boolean } }).streamManagement;
  await waitFor(() => sm.enabled, {
    what: `${user}'s phone to have stream management enabled`,
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  await c.send(xml('presence'));
  return c;
}

async function pendingFrom(n: HomeStack, jid: string): Promise<void> {
  await waitFor(
    async () => {
      const { pending } = await n.rest.get<{ pending: { jid: string }[] }>('/v1/subscriptions');
      return pending.some((p) => p.jid === jid) ? true : null;
    },
    { what: `${jid}'s subscription request at ${n.user}`, timeoutMs: 60_000, intervalMs: 200 },
  );
  await n.rest.post(`/v1/subscriptions/${encodeURIComponent(jid)}/approve`);
}

interface RestContact {
  jid: string;
  subscription: string;
  online: boolean;
}

/** Waits until `n` has `jid` as a mutual contact that is online. */
export function waitForFriend(n: HomeStack, jid: string): Promise<RestContact> {
  return waitFor(
    async () => {
      const { contacts } = await n.rest.get<{ contacts: RestContact[] }>('/v1/contacts');
      const c = contacts.find((x) => x.jid === jid);
      return c?.subscription === 'both' && c.online ? c : null;
    },
    { what: `${jid} to be an online friend of ${n.user}`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

async function befriend(fed: Federation, aliceServer: StockXmpp, alice: HomeStack, bob: HomeStack) {
  const local = new Cleanup();
  try {
    const c = await phone(local, fed, aliceServer, alice.user);
    local.add('alice’s phone', () => c.stop());
    await c.send(xml('presence', { to: bob.jid, type: 'subscribe' }));
    await pendingFrom(bob, alice.jid); // bob approves, and his bitween subscribes back
    await pendingFrom(alice, bob.jid);
  } finally {
    await local.run();
  }
  await Promise.all([waitForFriend(alice, bob.jid), waitForFriend(bob, alice.jid)]);
}
