import { connect as tcpConnect } from 'node:net';
import { xmpp } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  silentLogger,
  startGateway,
  startNats,
  startProsody,
  waitFor,
  xmppOnline,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';

const GOOD = '1'.repeat(40);

/**
 * Hostile input through a real Prosody whose stanza limit is raised to 8 MiB (so a 5 MB list
 * reaches the gateway at all; Prosody's default of 256 KiB would cut the sender off first):
 * invalid entries are dropped one by one and counted, a 5 MB list is cut at the gateway's
 * payload limit, and an XML document with entity declarations never gets through.
 */
describe('hostile share lists', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: ServiceProcess;
  let mallory: TestClient;
  let bus: Bus;

  const status = async () => {
    const r = await bus.request(xmpp.status, {});
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const malloryAtAlice = async () => {
    const r = await bus.request(xmpp.shares, {}, { timeoutMs: 20_000 });
    if (!r.ok) throw new Error(r.error.message);
    return r.value.contacts.find((c) => c.jid === prosody.jid('mallory'));
  };

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: ['alice', 'mallory'].map((user) => ({ user, password: `${user}-pw` })),
      friends: ['alice', 'mallory'],
      extraConfig: 'c2s_stanza_size_limit = 8 * 1024 * 1024',
    });
    const nats = await startNats(cleanup);
    alice = await startGateway(cleanup, { label: 'hostile-alice', nats, server: prosody, user: 'alice' });
    await xmppOnline(alice);
    const nc: NatsConnection = await nats.connect();
    bus = new Bus(nc, silentLogger);
    mallory = await connectClient(cleanup, prosody, 'mallory', 'mallory-pw');
  });
  afterAll(() => cleanup.run());

  it('drops each invalid entry with a count and a log line; the rest of the list works', async () => {
    const before = (await status()).droppedEntries ?? 0;
    await mallory.publish(
      xml(
        'user_shares',
        { xmlns: NS_SHARES },
        xml(
          'resource',
          { resource: 'test/e' },
          xml('share_item', { hash: GOOD, name: 'good', size: '5' }),
          xml('share_item', { hash: 'not-a-hash', name: 'x', size: '1' }),
          // (C0 controls other than tab/CR/LF are not XML: the server would refuse them; C1 is valid XML)
          xml('share_item', { hash: '2'.repeat(40), name: 'next\u0085line', size: '1' }),
          xml('share_item', { hash: '3'.repeat(40), name: 'n'.repeat(5000), size: '1' }),
          xml('share_item', { hash: '4'.repeat(40), name: 'neg', size: '-1' }),
          xml('ip_address', { address: '10.0.0.1', port: '7000' }),
          xml('ip_address', { address: 'evil.example', port: '7000' }),
          xml('ip_address', { address: '10.0.0.2', port: '70000' }),
        ),
        xml('resource', { resource: 'x'.repeat(2000) }),
      ),
    );
    const line = await alice.waitForLog((l) => l.msg === 'dropped invalid entries of a shares notification', {
      what: 'the log line',
    });
    expect(line.count).toBe(7);
    // Counted per received list (the server may deliver one publish more than once).
    const added = ((await status()).droppedEntries ?? 0) - before;
    expect(added).toBeGreaterThanOrEqual(7);
    expect(added % 7).toBe(0);
    const mal = await waitFor(async () => (await malloryAtAlice())?.resources[0], { what: 'mallory’s list' });
    expect(mal).toMatchObject({
      shares: [{ hash: GOOD, name: 'good', size: 5 }],
      endpoints: [{ address: '10.0.0.1', port: 7000 }],
    });
  });

  it('cuts a 5 MB list at the payload limit and keeps serving', async () => {
    const items = Array.from({ length: 40_000 }, (_, i) =>
      xml('share_item', { hash: i.toString(16).padStart(40, '0'), name: `${'f'.repeat(80)}${i}`, size: '1' }),
    );
    const payload = xml(
      'user_shares',
      { xmlns: NS_SHARES },
      xml('resource', { resource: 'test/big' }, ...items),
    );
    expect(payload.toString().length).toBeGreaterThan(5_000_000);
    await mallory.publish(payload);
    const line = await alice.waitForLog(
      (l) =>
        l.msg === 'dropped invalid entries of a shares notification' &&
        JSON.stringify(l.problems).includes('payload larger'),
      { what: 'the payload limit to apply', timeoutMs: 120_000 },
    );
    expect(line.from).toBe(prosody.jid('mallory'));
    // (The cut list itself, ~30,000 shares, is larger than one NATS message: xmpp.shares cannot
    // carry it; the gateway's log says what it kept.)
    const kept = await alice.waitForLog(
      (l) => l.msg === 'received a share list' && l.from === prosody.jid('mallory') && Number(l.shares) > 1,
      { what: 'the cut list' },
    );
    expect(kept.shares).toBeGreaterThan(10_000);
    expect(kept.shares).toBeLessThan(40_000);
    expect((await status()).online).toBe(true);
  });

  it('an XML document with entity declarations never gets through', async () => {
    const socket = tcpConnect(prosody.port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      `<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>` +
        `<stream:stream to="${prosody.domain}" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" version="1.0">&lol2;`,
    );
    await closed;
    expect(reply).toMatch(/restricted-xml|not-well-formed|bad-format|invalid-xml/);
    expect(reply).not.toMatch(/lollol/);
    // alice is untouched and still answers.
    expect((await status()).online).toBe(true);
    expect(alice.logs.some((l) => l.msg === 'stopped')).toBe(false);
  });
});
