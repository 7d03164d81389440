import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, makeTempDir, removeTempDir } from '../harness/cleanup.js';
import { sha256File } from '../harness/files.js';
import { startLibtorrent } from '../harness/libtorrent.js';
import { waitFor } from '../harness/wait.js';
import { connectClient, errorCondition, NS_SHARES, xml, type TestClient } from '../harness/xmpp-client.js';
import { bridgeInto } from './home-stack.js';
import { labUnavailable } from './netns.js';
import { MiB, share, startWorld, type World } from './world.js';

/**
 * Issue 20 item 3, the point of XEP-0498 items: a plain BitTorrent client given only the magnet
 * of a published item downloads the share. carol is a legacy friend of alice (a plain XMPP client
 * with an original-format list announcing her address, and libtorrent for BitTorrent) on a public
 * host of the lab: her client reads alice's item on the XEP-0498 node, and python3-libtorrent gets
 * nothing but the item's magnet URI (its `x.pe` names alice's public address). libtorrent cannot
 * prove an admission ticket, so alice's engine admits it by address: the address carol's list
 * announces (the friends' address allowlist), which is where libtorrent runs (BIND in carol's
 * namespace). Bytes checked.
 */

const unavailable = labUnavailable();
if (unavailable) console.warn(`skipping the network lab: ${unavailable}`);

const NODE = 'urn:xmpp:pubsub-file-sharing:0';
const SIZE = 4 * MiB + 3;

describe.skipIf(unavailable !== null)(
  'a libtorrent client downloads a share from its XEP-0498 magnet alone',
  () => {
    const cleanup = new Cleanup();
    let w: World;
    let carol: TestClient;
    let carolHost: { ns: string; address: string };

    /** alice's XEP-0498 items as carol's plain client reads them (pubsub items): id → payload. */
    const items = async (): Promise<Map<string, Element>> => {
      const reply = await carol.iqGet(w.alice.jid, itemsQuery());
      if (errorCondition(reply)) return new Map();
      const list = reply.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? [];
      return new Map(list.map((i) => [String(i.attrs.id), i.getChildElements()[0]!]));
    };

    beforeAll(async () => {
      // alice on a public address (no NAT): the address her engine finds on its interface is public.
      w = await startWorld(cleanup, {
        homes: [{ name: 'alice', nat: 'none' }, { name: 'bob' }],
        friends: ['carol'],
      });
      carolHost = await w.lab.addPublicHost('carol', 77);
      const xmppPort = await bridgeInto(cleanup, w.lab.internet.ns, w.prosody.port, w.lab.internet.address);
      carol = await connectClient(
        cleanup,
        { ...w.prosody, service: `xmpp://127.0.0.1:${xmppPort}` },
        'carol',
        'carol-pw',
      );
      // carol's original-format list: no shares, her address (where her libtorrent runs).
      await carol.publish(
        xml(
          'user_shares',
          { xmlns: NS_SHARES },
          xml(
            'resource',
            { resource: 'test' },
            xml('ip_address', { address: carolHost.address, port: '6881' }),
          ),
        ),
      );
    });
    afterAll(() => cleanup.run());

    it('libtorrent, given only the magnet of alice’s item, downloads the share (bytes checked)', async () => {
      const shared = await share(w.alice, 'by-magnet.bin', SIZE);
      await w.alice.engine.waitForLog((l) => l.msg === 'ticket table' && Number(l.legacy) >= 1, {
        what: 'alice’s engine to know carol is legacy (her address admitted without a ticket)',
        timeoutMs: 60_000,
      });
      const item = await waitFor(async () => (await items()).get(shared.hash) ?? null, {
        what: 'alice’s XEP-0498 item for the share',
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const magnet = String(
        item.getChild('sources')?.getChild('url-data', 'http://jabber.org/protocol/url-data')?.attrs.target,
      );
      const params = new URL(magnet).searchParams;
      expect(params.get('xt')).toBe(`urn:btih:${shared.hash}`);
      expect(params.getAll('x.pe').some((p) => p.startsWith(`${w.alice.home.serverAddress}:`))).toBe(true);

      const save = await makeTempDir('magnet-lt');
      cleanup.add('libtorrent save dir', () => removeTempDir(save));
      const lt = await startLibtorrent(cleanup, {
        label: 'magnet-carol-lt',
        env: { MODE: 'leech', MAGNET: magnet, SAVE: save, BIND: carolHost.address },
        netns: carolHost.ns,
      });
      await lt.waitForLog((l) => l.msg === 'download complete', {
        what: 'carol’s libtorrent to download from the magnet',
        timeoutMs: 120_000,
      });
      expect(await sha256File(join(save, shared.name))).toBe(shared.sha256);
      expect(
        w.alice.engine.logs.some(
          (l) =>
            l.msg === 'admitted a peer' &&
            l.by === 'address' &&
            l.how === 'legacy contact' &&
            String(l.remote).includes(carolHost.address),
        ),
      ).toBe(true);
      await lt.stop();
    });
  },
);

function itemsQuery(): Element {
  return xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NODE }));
}
