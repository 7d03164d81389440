import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  shareRandomFile,
  startFriends,
  waitFor,
  writeRandomFile,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharedFile,
  type TorrentsResult,
} from '../harness/index.js';
import { connectClient, errorCondition, xml, type TestClient } from '../harness/xmpp-client.js';

const NODE = 'urn:xmpp:pubsub-file-sharing:0';
const NS_HASHES = 'urn:xmpp:hashes:2';
const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/**
 * The whole-file SHA-256 of XEP-0498 items (issue 20 item 3), end to end with real Prosody, NATS
 * and a bitween node: alice's engine hashes what she shares (the SHA-256 from the reads that hash
 * the pieces), her gateway publishes it as the XEP-0446 `<hash algo='sha-256'/>` of each
 * single-file share's item, and a plain pubsub client (bob, no bitween code) reads the digest of
 * the file's bytes; a folder's item carries none. Her api shows it, and it survives a restart of
 * her engine (kept in the torrent's record).
 */
describe('XEP-0498 items carry the SHA-256 the engine computed', () => {
  const cleanup = new Cleanup();
  let alice: BitweenNode;
  let bob: TestClient;
  let big: SharedFile;
  let small: SharedFile;
  let folderHash: string;

  /** alice's node as bob's plain client reads it: item id → payload (or the error condition). */
  const items = async (): Promise<Map<string, Element> | string> => {
    const id = `q${Math.random().toString(36).slice(2)}`;
    const reply = await new Promise<Element>((resolve) => {
      const onStanza = (stanza: Element) => {
        if (stanza.is('iq') && stanza.attrs.id === id) {
          bob.client.off('stanza', onStanza);
          resolve(stanza);
        }
      };
      bob.client.on('stanza', onStanza);
      void bob.send(
        xml(
          'iq',
          { type: 'get', to: alice.jid, id },
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
    const friends = await startFriends(cleanup, ['alice'], {
      label: 'xep0498-sha256',
      accounts: ['bob'],
      friends: ['bob'],
    });
    const prosody: Prosody = friends.prosody;
    [alice] = friends.nodes;
    await xmppOnline(alice.gateway);
    bob = await connectClient(cleanup, prosody, 'bob', 'bob-pw');
    // Hashed in a worker thread (over 1 MiB, several pieces and reads) / on the engine's thread.
    big = await shareRandomFile(alice, 'film.mkv', 3 * 1024 * 1024 + 17);
    small = await shareRandomFile(alice, 'note.txt', 1000);
    const folder = join(alice.dirs.shares, 'album');
    await mkdir(folder);
    await writeRandomFile(join(folder, 'a.flac'), 70_000);
    await writeRandomFile(join(folder, 'b.flac'), 2 * 1024 * 1024);
    if ((await alice.rpc.result('bt.add_path', { path: folder })) !== true)
      throw new Error('sharing the folder failed');
    const { torrents } = await alice.rpc.result<TorrentsResult>('bt.get_torrents');
    folderHash = torrents.find((t) => t.name === 'album')!.hash;
  });
  afterAll(() => cleanup.run());

  it("a plain pubsub client reads each file's sha256 of its bytes; the folder's item has none", async () => {
    const got = await waitFor(
      async () => {
        const m = await items();
        return typeof m !== 'string' && m.size === 3 ? m : null;
      },
      { what: 'the three items on alice’s XEP-0498 node', timeoutMs: 60_000, intervalMs: 200 },
    );
    const hashesOf = (hash: string) =>
      got.get(hash)?.getChild('file', 'urn:xmpp:file:metadata:0')?.getChildren('hash', NS_HASHES) ?? [];
    for (const shared of [big, small]) {
      const hashes = hashesOf(shared.hash);
      const algos = hashes.map((h) => String(h.attrs.algo));
      expect(algos, shared.name).toEqual(['sha-256']);
      expect(hashes[0]!.getText(), shared.name).toBe(hexToBase64(shared.sha256));
    }
    expect(got.has(folderHash)).toBe(true);
    expect(hashesOf(folderHash)).toEqual([]);
  });

  it('her api shows it, and her engine keeps it across a restart', async () => {
    const sha256Of = async (hash: string) =>
      (await alice.rest.get<{ sha256?: string }>(`/v1/torrents/${hash}`)).sha256;
    expect(await sha256Of(big.hash)).toBe(hexToBase64(big.sha256));
    expect(await sha256Of(folderHash)).toBeUndefined();
    await alice.engine.stop();
    await alice.restart('engine');
    const after = await waitFor(() => sha256Of(big.hash).catch(() => null), {
      what: 'the restarted engine reporting film.mkv',
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect(after).toBe(hexToBase64(big.sha256));
    expect(await sha256Of(small.hash)).toBe(hexToBase64(small.sha256));
  });
});
