import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { engine, xmpp } from '@bitween/messages';
import { Bus, EngineRegistry, FriendAddressesStore } from '@bitween/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  engineEnv,
  makeTempDir,
  sha256File,
  silentLogger,
  startLibtorrent,
  startNats,
  startService,
  waitFor,
  writeRandomFile,
  type ServiceProcess,
} from '../harness/index.js';

/**
 * Admission without a ticket table (no gateway answers `xmpp.tickets`: every contact counts as
 * legacy, the rule from before tickets) and nothing allowed by configuration (not even loopback):
 * libtorrent peers connect from other loopback addresses (127.0.0.2-4) to tell friends from
 * strangers. Connections are accepted; a stranger is closed at its extended handshake.
 */
describe('friend-to-friend peer filter', () => {
  const cleanup = new Cleanup();
  let root: string;
  let bus: Bus;
  let proc: ServiceProcess;
  let hash = '';
  let sum = '';
  let port = 0;
  let registry: EngineRegistry;

  beforeAll(async () => {
    root = await makeTempDir('peer-filter');
    await mkdir(join(root, 'shares'));
    const nats = await startNats(cleanup);
    proc = await startService(cleanup, {
      name: 'torrent-engine',
      label: 'filter-engine',
      env: engineEnv({
        natsUrl: nats.url,
        engineId: 'guarded',
        downloads: join(root, 'downloads'),
        state: join(root, 'state'),
        shareRoots: [join(root, 'shares')],
        extra: { BITWEEN_PEER_ALLOW: '' },
      }),
    });
    const nc = await nats.connect();
    bus = new Bus(nc, silentLogger);
    const file = join(root, 'shares', 'private.bin');
    sum = await writeRandomFile(file, 2 * 1024 * 1024 + 99);
    const shared = await bus.request(engine.addPath, { path: file });
    if (!shared.ok) throw shared.error;
    hash = shared.value.torrent.hash;
    registry = await EngineRegistry.open(nc, silentLogger);
    const [me] = await registry.live();
    port = me!.state.endpoints[0]!.port;
  });
  afterAll(() => cleanup.run());

  /** A request/reply round trip: the engine has handled every event we published before it. */
  const settled = async () => {
    const r = await bus.request(engine.list, {}, { params: { engineId: 'guarded' } });
    if (!r.ok) throw r.error;
  };

  const leech = (label: string, bind: string) =>
    startLibtorrent(cleanup, {
      label,
      env: { MODE: 'leech', HASH: hash, PEER: `127.0.0.1:${port}`, SAVE: join(root, label), BIND: bind },
    });

  it('closes a stranger before it gets metadata or a single block', async () => {
    const stranger = await leech('filter-stranger', '127.0.0.2');
    await proc.waitForLog(
      (l) => l.msg === 'refused a peer' && l.reason === 'stranger' && String(l.remote).endsWith('127.0.0.2'),
      { what: 'the engine to refuse the stranger' },
    );
    await waitFor(
      async () => {
        const [me] = await registry.live();
        return (me?.state.admission?.refused.stranger ?? 0) >= 2;
      },
      { what: 'the engine to count the stranger refused (twice: it redials)' },
    );
    // Let the stranger report on itself a few more times after the refusals we saw.
    const statuses = () => stranger.logs.filter((l) => l.msg === 'status').length;
    const seen = statuses();
    await waitFor(() => statuses() >= seen + 5, {
      what: 'the stranger to report its state after being dropped',
    });
    const status = stranger.logs.filter((l) => l.msg === 'status').at(-1)!;
    expect(status).toMatchObject({
      has_metadata: false,
      total_payload_download: 0,
      pieces: 0,
    });
    await stranger.stop();
  });

  it('lets a contact in: an address from the friends’ allowlist (any source port)', async () => {
    // As the gateway writes it from the friends' lists.
    const friends = await FriendAddressesStore.open(bus.nc, silentLogger);
    await friends.put({
      friends: [{ jid: 'friend@example.org', addresses: ['127.0.0.3'] }],
      updatedAt: Date.now(),
    });
    await proc.waitForLog((l) => l.msg === 'friend addresses updated' && l.friends === 1, {
      what: 'the engine to follow the allowlist',
    });
    const friend = await leech('filter-friend', '127.0.0.3');
    await friend.waitForLog((l) => l.msg === 'download complete', { what: 'the friend to download' });
    expect(await sha256File(join(root, 'filter-friend', 'private.bin'))).toBe(sum);
  });

  it('lets a peer in that the gateway named for the hash', async () => {
    await settled();
    bus.publish(xmpp.peers, { peers: [{ hash, endpoints: [{ address: '127.0.0.4', port: 6881 }] }] });
    await settled();
    const peer = await leech('filter-peer', '127.0.0.4');
    await peer.waitForLog((l) => l.msg === 'download complete', { what: 'the named peer to download' });
    expect(await sha256File(join(root, 'filter-peer', 'private.bin'))).toBe(sum);
  });
});
