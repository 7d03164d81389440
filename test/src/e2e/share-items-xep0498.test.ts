import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { EngineRegistry } from '@bitween/bus';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  makeTempDir,
  removeTempDir,
  selfSignedCert,
  silentLogger,
  startEjabberd,
  startGateway,
  startNats,
  startProsody,
  waitFor,
  xmppOnline,
  type Prosody,
  type ServiceProcess,
} from '../harness/index.js';
import { connectClient, errorCondition, xml, type TestClient } from '../harness/xmpp-client.js';

const NODE = 'urn:xmpp:pubsub-file-sharing:0';
const hashOf = (s: string) => createHash('sha1').update(s).digest('hex');
const PLAIN = { hash: hashOf('plain'), name: 'holiday.mkv', size: 734_003_200 };
/** A name with a bidi override and a zero-width space: published cleaned. */
const HOSTILE = { hash: hashOf('hostile'), name: 'evil\u202Egpj.exe\u200B', size: 42 };

interface Server {
  service: string;
  domain: string;
  jid(user: string): string;
}

/**
 * Our shares as XEP-0498 items, read by a plain pubsub client (no bitween code): one item per
 * share (id = info-hash), an XEP-0447 payload with XEP-0446 metadata and a magnet source that names
 * the public address only (never the engine's loopback endpoint); a removed share's item is
 * retracted; a stranger cannot read the node (access model presence). On Prosody and ejabberd.
 */
describe.each([
  ['Prosody', 'prosody'],
  ['ejabberd', 'ejabberd'],
] as const)('XEP-0498 share items on %s', (_label, kind) => {
  const cleanup = new Cleanup();
  let server: Server;
  let registry: EngineRegistry;
  let bob: TestClient;
  let mallory: TestClient;
  let startAlice: () => Promise<ServiceProcess>;
  let alice: ServiceProcess;

  const announce = (torrents: { hash: string; name: string; size: number }[]) =>
    registry.announce({
      engineId: 'e1',
      version: 'test',
      endpoints: [
        { address: '127.0.0.1', port: 7000 },
        { address: 'fe80::1', port: 7000 },
      ],
      torrents,
      heartbeatMs: 600_000,
    });

  /** alice's node as bob's plain client reads it: item id → payload. */
  const items = async (who: TestClient): Promise<Map<string, Element> | string> => {
    // (A raw IQ matched by id, not the iqCaller: its rejection on an error reply surfaces as unhandled.)
    const id = `q${Math.random().toString(36).slice(2)}`;
    const reply = await new Promise<Element>((resolve) => {
      const onStanza = (stanza: Element) => {
        if (stanza.is('iq') && stanza.attrs.id === id) {
          who.client.off('stanza', onStanza);
          resolve(stanza);
        }
      };
      who.client.on('stanza', onStanza);
      void who.send(
        xml(
          'iq',
          { type: 'get', to: server.jid('alice'), id },
          xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NODE })),
        ),
      );
    });
    const condition = errorCondition(reply);
    if (condition) return condition;
    const list = reply.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? [];
    return new Map(list.map((i) => [String(i.attrs.id), i.getChildElements()[0]!]));
  };

  beforeAll(async () => {
    const accounts = ['alice', 'bob', 'mallory'].map((user) => ({ user, password: `${user}-pw` }));
    const env: Record<string, string> = {
      BITWEEN_PUBLIC_ADDRESSES: '198.51.100.1',
      BITWEEN_XMPP_UPLOAD_BYTES_PER_S: '1000000', // these test servers have no rate limit
    };
    if (kind === 'prosody') {
      server = await startProsody(cleanup, { accounts, friends: ['alice', 'bob'] });
    } else {
      const dir = await makeTempDir('ejabberd-cert');
      cleanup.add('cert dir', () => removeTempDir(dir));
      const cert = await selfSignedCert(dir, 'localhost');
      server = await startEjabberd(cleanup, { accounts, friends: ['alice', 'bob'], tls: cert });
      env.BITWEEN_XMPP_TLS_CA_FILE = cert.certFile;
      // The plain clients of this test trust the self-signed certificate too.
      tls.setDefaultCACertificates([
        ...tls.getCACertificates('default'),
        await readFile(cert.certFile, 'utf8'),
      ]);
    }
    const nats = await startNats(cleanup);
    registry = await EngineRegistry.open(await nats.connect(), silentLogger);
    await announce([PLAIN, HOSTILE]);
    startAlice = () =>
      startGateway(cleanup, { label: `xep0498-${kind}-alice`, nats, server, user: 'alice', env });
    alice = await startAlice();
    await xmppOnline(alice);
    // (connectClient reads only `service` and `domain`.)
    bob = await connectClient(cleanup, server as Prosody, 'bob', 'bob-pw');
    mallory = await connectClient(cleanup, server as Prosody, 'mallory', 'mallory-pw');
  });
  afterAll(() => cleanup.run());

  it('a plain pubsub client reads one XEP-0447 item per share, with a magnet naming only public addresses', async () => {
    const got = await waitFor(
      async () => {
        const m = await items(bob);
        return typeof m !== 'string' && m.size === 2 ? m : null;
      },
      { what: 'both items on alice’s XEP-0498 node', timeoutMs: 60_000, intervalMs: 200 },
    );
    const plain = got.get(PLAIN.hash);
    expect(plain?.is('file-sharing', 'urn:xmpp:sfs:0')).toBe(true);
    expect(plain?.attrs.disposition).toBeUndefined();
    const file = plain?.getChild('file', 'urn:xmpp:file:metadata:0');
    expect(file?.getChildText('name')).toBe('holiday.mkv');
    expect(file?.getChildText('size')).toBe('734003200');
    expect(file?.getChildText('media-type')).toBe('video/x-matroska');
    const target = String(
      plain?.getChild('sources')?.getChild('url-data', 'http://jabber.org/protocol/url-data')?.attrs.target,
    );
    const magnet = new URL(target);
    expect(magnet.protocol).toBe('magnet:');
    expect(magnet.searchParams.get('xt')).toBe(`urn:btih:${PLAIN.hash}`);
    expect(magnet.searchParams.get('dn')).toBe('holiday.mkv');
    expect(magnet.searchParams.get('xl')).toBe('734003200');
    // The engine's loopback and link-local endpoints are never published.
    expect(magnet.searchParams.getAll('x.pe')).toEqual(['198.51.100.1:7000']);

    const hostile = got.get(HOSTILE.hash)?.getChild('file')?.getChildText('name');
    expect(hostile).toBe('evilgpj.exe');
  });

  it('a stranger cannot read the node', async () => {
    // Prosody: not-authorized (presence-subscription-required); ejabberd: its own refusal.
    const answer = await items(mallory);
    expect(typeof answer).toBe('string');
    expect(answer).not.toBe('item-not-found');
  });

  it('a removed share’s item is retracted, the other stays', async () => {
    await announce([PLAIN]);
    const got = await waitFor(
      async () => {
        const m = await items(bob);
        return typeof m !== 'string' && m.size === 1 ? m : null;
      },
      { what: 'the removed share’s item retracted', timeoutMs: 60_000, intervalMs: 200 },
    );
    expect([...got.keys()]).toEqual([PLAIN.hash]);
  });

  // Prosody 0.12 keeps 256 items per PEP node (`pep_max_items`); ejabberd's 1000 would take longer.
  it.runIf(kind === 'prosody')(
    'with more shares than the node keeps (257 of 256), the node holds exactly 256, the same after a login; a new share gets in',
    async () => {
      const many = Array.from({ length: 257 }, (_, i) => hashOf(`many/${i}`))
        .sort()
        .map((hash, i) => ({ hash, name: `many-${i}.bin`, size: 1000 + i }));
      /** alice's node once it holds exactly `hashes`. */
      const nodeHolds = (hashes: string[], what: string) =>
        waitFor(
          async () => {
            const m = await items(bob);
            return typeof m !== 'string' && m.size === hashes.length && hashes.every((h) => m.has(h))
              ? m
              : null;
          },
          // Generous: Prosody reads our 256 items at its c2s rate limit, slower on a loaded machine.
          { what, timeoutMs: 240_000, intervalMs: 500 },
        );
      // Seen at once, none on the node yet: the 256 first by info-hash.
      await announce(many);
      const first = many.slice(0, 256).map((t) => t.hash);
      await nodeHolds(first, 'the 256 first shares on alice’s node');
      expect(alice.logs.filter((l) => l.msg === 'configured our XEP-0498 node').at(-1)?.maxItems).toBe('256');

      // After a new login the node keeps what it holds: nothing published anew, nothing retracted.
      await alice.stop();
      alice = await startAlice();
      const after = await alice.waitForLog(
        (l) => l.msg === 'published our XEP-0498 share items' && l.items === 256,
        { what: 'alice’s reconciliation after login', timeoutMs: 240_000 },
      );
      expect(after).toMatchObject({ published: 0, retracted: 0, refreshed: 256, cap: 256 });
      await nodeHolds(first, 'the same 256 on alice’s node after her login');

      // A share added now is the newest: it gets in, the last-ranked item (largest info-hash) leaves.
      const added = { hash: hashOf('added'), name: 'added.bin', size: 5 };
      await announce([...many, added]);
      await nodeHolds([...first.slice(0, 255), added.hash], 'the new share on alice’s full node');
    },
    900_000,
  );
});
