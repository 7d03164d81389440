import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  repoRoot,
  startFriends,
  waitFor,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharesResult,
} from '../harness/index.js';
import { connectClient, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';

const M1 = '1'.repeat(40);
const M2 = '2'.repeat(40);

function share(hash: string, name: string, size = '5') {
  return xml('share_item', { hash, name, size });
}

describe('bad input gets a clear error and the daemon keeps serving', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let mallory: TestClient;
  let eve: TestClient;
  let nc: NatsConnection;
  let gatewayNc: NatsConnection;
  const exited: string[] = [];

  /** What alice's API says mallory offers: hash → share. */
  async function malloryAtAlice(): Promise<Record<string, unknown> | undefined> {
    const { shares } = await alice.rpc.result<SharesResult>('xmpp.get_shares');
    const resources = shares[prosody.jid('mallory')];
    if (!resources) return undefined;
    const all: Record<string, unknown> = {};
    for (const r of Object.values(resources)) Object.assign(all, r.shares);
    return all;
  }

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice],
    } = await startFriends(cleanup, ['alice'], {
      label: 'badinput',
      accounts: ['mallory', 'eve'],
      friends: ['mallory'], // eve is not on alice's roster
    }));
    for (const s of alice.services()) void s.exited.then(() => exited.push(s.label));
    await xmppOnline(alice.gateway);
    [mallory, eve] = await Promise.all([
      connectClient(cleanup, prosody, 'mallory', 'mallory-pw'),
      connectClient(cleanup, prosody, 'eve', 'eve-pw'),
    ]);
    // Hostile NATS messages can only come from a client that has credentials: the api's own
    // (the only one that may send engine commands) and the gateway's (events it publishes).
    nc = await alice.nats.connect('api');
    gatewayNc = await alice.nats.connect('xmpp-gateway');
  });

  afterAll(() => cleanup.run());

  describe('JSON-RPC', () => {
    it('names the field of invalid params (-32602)', async () => {
      const r = await alice.rpc.call('bt.add_torrent_by_hash', { hash: 'xyz' });
      expect(r.error?.code).toBe(-32602);
      expect(r.error?.message).toMatch(/hash/);
      const rel = await alice.rpc.call('bt.add_path', { path: 'relative/file' });
      expect(rel.error).toMatchObject({ code: -32602, message: expect.stringMatching(/path/) as unknown });
      const missing = await alice.rpc.call('bt.add_path', {});
      expect(missing.error).toMatchObject({
        code: -32602,
        message: expect.stringMatching(/path/) as unknown,
      });
    });

    it('names an unknown method (-32601)', async () => {
      const r = await alice.rpc.call('bt.format_disk', {});
      expect(r.error).toMatchObject({
        code: -32601,
        message: expect.stringMatching(/bt\.format_disk/) as unknown,
      });
    });

    it('answers invalid JSON with -32700', async () => {
      const r = await alice.rpc.raw('{"jsonrpc": "2.0", "method": ');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    });

    it('refuses to share /etc: outside the share roots', async () => {
      const r = await alice.rpc.call('bt.add_path', { path: '/etc' });
      expect(r.error).toMatchObject({
        code: -32010,
        message: expect.stringMatching(/\/etc is outside the share roots .*BITWEEN_SHARE_ROOTS/) as unknown,
      });
    });

    it("passes the engine's reason on for a path that does not exist", async () => {
      const r = await alice.rpc.call('bt.add_path', { path: '/nonexistent/bitween/file' });
      expect(r.error).toMatchObject({
        code: -32004,
        message: expect.stringMatching(/does not exist/) as unknown,
      });
    });
  });

  describe('XMPP payloads from contacts and strangers', () => {
    it('accepts a valid list from a contact', async () => {
      await mallory.publish(
        xml(
          'user_shares',
          { xmlns: NS_SHARES },
          xml(
            'resource',
            { resource: 'r1' },
            share(M1, 'ok'),
            xml('ip_address', { address: '127.0.0.1', port: '9' }),
          ),
        ),
      );
      const offered = await waitFor(async () => (await malloryAtAlice())?.[M1], {
        what: "mallory's valid share at alice",
      });
      expect(offered).toEqual({ hash: M1, name: 'ok', size: 5, files: null });
    });

    it('drops the invalid entries of a list and keeps the valid ones', async () => {
      await mallory.publish(
        xml(
          'user_shares',
          { xmlns: NS_SHARES },
          xml(
            'resource',
            { resource: 'r1' },
            share('zz', 'bad hash'),
            share(M2, 'good'),
            share('3'.repeat(40), 'bad size', '-5'),
            xml('ip_address', { address: 'not-an-ip', port: '80' }),
            xml('ip_address', { address: '127.0.0.1', port: '70000' }),
          ),
        ),
      );
      const line = await alice.gateway.waitForLog(
        (l) => l.msg === 'dropped invalid entries of a shares notification',
        {
          what: 'alice to report the invalid entries',
        },
      );
      expect(line.from).toBe(prosody.jid('mallory'));
      const offered = await waitFor(
        async () => {
          const m = await malloryAtAlice();
          return m && !m[M1] ? m : undefined;
        },
        { what: "mallory's new list to replace the old one" },
      );
      expect(Object.keys(offered as object)).toEqual([M2]);
    });

    it('drops a malformed payload as a whole and keeps the last good list', async () => {
      await mallory.publish(
        xml('evil', { xmlns: NS_SHARES }, xml('share_item', { hash: M1, name: 'x', size: '1' })),
      );
      await alice.gateway.waitForLog((l) => l.msg === 'dropped a malformed shares notification', {
        what: 'alice to drop the malformed notification',
      });
      expect(Object.keys((await malloryAtAlice()) as object)).toEqual([M2]);
    });

    it('drops a shares notification sent by someone who is not a contact', async () => {
      await eve.send(
        xml(
          'message',
          { to: `${alice.jid}/bitween`, type: 'headline' },
          xml(
            'event',
            { xmlns: 'http://jabber.org/protocol/pubsub#event' },
            xml(
              'items',
              { node: NS_SHARES },
              xml(
                'item',
                { id: 'current' },
                xml(
                  'user_shares',
                  { xmlns: NS_SHARES },
                  xml('resource', { resource: 'x' }, share(M1, 'bait')),
                ),
              ),
            ),
          ),
        ),
      );
      const line = await alice.gateway.waitForLog(
        (l) => l.msg === 'dropped a shares event that is not a PEP notification from a contact',
        {
          what: "alice to drop eve's notification",
        },
      );
      // (Sent by eve's client: her full JID, which no PEP notification carries.)
      expect(String(line.from)).toMatch(new RegExp(`^${prosody.jid('eve')}/`));
      const { shares } = await alice.rpc.result<SharesResult>('xmpp.get_shares');
      expect(shares[prosody.jid('eve')]).toBeUndefined();
    });
  });

  describe('NATS messages that fail their schema', () => {
    it('come from no client without credentials: NATS refuses it', async () => {
      await expect(connect({ servers: alice.nats.url, reconnect: false })).rejects.toThrow(
        /Authorization Violation/,
      );
    });

    it('answers a malformed command with a typed error', async () => {
      const reply = await nc.request('bitween.v1.engine.add-hash', 'this is not json', { timeout: 30_000 });
      expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
      expect(reply.json()).toMatchObject({
        error: { code: 'invalid_request', message: expect.stringMatching(/not JSON/) as unknown },
      });

      const wrong = await nc.request('bitween.v1.engine.add-hash', JSON.stringify({ hash: 42 }), {
        timeout: 30_000,
      });
      expect(wrong.json()).toMatchObject({
        error: {
          code: 'invalid_request',
          issues: [{ path: 'hash', message: expect.any(String) as unknown }],
        },
      });
    });

    it('logs and drops a malformed event', async () => {
      gatewayNc.publish('bitween.v1.evt.xmpp.peers', JSON.stringify({ peers: 'nope' }));
      const line = await alice.engine.waitForLog(
        (l) => l.msg === 'dropped an event that fails its contract',
        {
          what: 'the engine to drop the malformed event',
        },
      );
      expect(line.subject).toBe('bitween.v1.evt.xmpp.peers');
    });
  });

  it('Api.versions lists the running services and their libraries', async () => {
    const v = await alice.rpc.result<{
      bitween: string;
      services: { name: string; metadata?: Record<string, string> }[];
    }>('Api.versions');
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(v.bitween).toBe(version);
    const byName = Object.fromEntries(v.services.map((s) => [s.name, s.metadata]));
    expect(byName['bitween-torrent-engine']).toMatchObject({
      engineId: 'badinput-alice-engine-1',
      webtorrent: '3.0.21',
    });
    expect(byName['bitween-xmpp-gateway']).toMatchObject({ jid: alice.jid, xmppClient: '0.14.0' });
  });

  it('keeps every service running and serving', async () => {
    expect(await alice.rpc.result('bt.get_torrents')).toEqual({ torrents: [] });
    const health = await fetch(`${alice.apiUrl}/health`);
    expect(health.status).toBe(200);
    expect(exited).toEqual([]);
  });
});
