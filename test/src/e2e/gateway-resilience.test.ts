import { join } from 'node:path';
import { xmpp } from '@bitween/messages';
import { Bus } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  sha256File,
  silentLogger,
  startFriends,
  waitFor,
  writeRandomFile,
  type BitweenNode,
  type Prosody,
} from '../harness/index.js';

/**
 * The XMPP server restarts under running gateways (same port, same data): both reconnect with
 * backoff, send presence and caps again and republish; bob sees alice's list again, and a
 * download bob started while the server was down completes.
 */
describe('the XMPP server restarts under running gateways', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;
  let bobBus: Bus;

  /** alice's entries as bob's gateway holds them (with their online state). */
  async function aliceAtBob() {
    const r = await bobBus.request(xmpp.shares, {});
    if (!r.ok) throw new Error(r.error.message);
    return r.value.contacts.find((c) => c.jid === alice.jid)?.resources ?? [];
  }

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { label: 'restart' }));
    const nc: NatsConnection = await bob.nats.connect();
    bobBus = new Bus(nc, silentLogger);
    await Promise.all(
      [alice, bob].map((n) => n.gateway.waitForLog((l) => l.msg === 'XMPP online', { what: 'online' })),
    );
  });
  afterAll(() => cleanup.run());

  it('reconnects, republishes, and a download started meanwhile completes', async () => {
    const path = join(alice.dirs.shares, 'film.bin');
    const sha256 = await writeRandomFile(path, 16 * 1024 * 1024);
    expect(await alice.rpc.result('bt.add_path', { path })).toBe(true);
    const listed = await waitFor(
      async () => (await aliceAtBob()).find((r) => r.online && r.shares.some((s) => s.name === 'film.bin')),
      { what: "alice's share at bob" },
    );
    const hash = listed.shares[0]!.hash;

    const onlineBefore = [alice, bob].map(
      (n) => n.gateway.logs.filter((l) => l.msg === 'XMPP online').length,
    );
    const published = () => alice.gateway.logs.filter((l) => l.msg === 'published our share list').length;
    const publishedBefore = published();
    await prosody.halt();
    await Promise.all(
      [alice, bob].map((n) =>
        n.gateway.waitForLog((l) => l.msg === 'XMPP disconnected, reconnecting', { what: 'the disconnect' }),
      ),
    );
    // While the server is down bob knows nobody's presence: alice's list is kept, marked offline,
    // and her endpoints are not handed to bob's engine.
    const offline = await waitFor(
      async () => {
        const r = await aliceAtBob();
        return r.length > 0 && r.every((e) => !e.online) ? r : undefined;
      },
      { what: "alice's entries to be offline at bob" },
    );
    expect(offline[0]?.shares.map((s) => s.name)).toEqual(['film.bin']);

    const complete = bob.engine.waitForLog((l) => l.msg === 'download complete' && l.hash === hash, {
      what: 'the download to complete',
      timeoutMs: 120_000,
    });
    expect(await bob.rpc.result('bt.add_torrent_by_hash', { hash })).toBe(true);

    const restarted = Date.now();
    await prosody.start();
    await Promise.all(
      [alice, bob].map((n, i) =>
        waitFor(() => n.gateway.logs.filter((l) => l.msg === 'XMPP online').length > onlineBefore[i]!, {
          what: `${n.user} online again`,
        }),
      ),
    );
    await waitFor(
      async () => (await aliceAtBob()).some((r) => r.online && r.shares.some((s) => s.hash === hash)),
      {
        what: "alice's list at bob again, online",
      },
    );
    const seen = Date.now() - restarted;
    await complete;
    const done = Date.now() - restarted;
    console.log(`after the server restart: list seen again in ${seen} ms, download complete in ${done} ms`);
    expect(await sha256File(join(bob.dirs.downloads, 'film.bin'))).toBe(sha256);
    // Presence with caps was sent again (the server only pushes PEP to +notify caps it knows), and
    // alice published her list again after the restart (bob kept it meanwhile, so seeing it online
    // at bob's does not wait for that publish).
    await waitFor(() => published() > publishedBefore, { what: 'alice to publish her list again' });
  });
});
