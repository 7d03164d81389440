import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  startNode,
  startProsody,
  waitFor,
  xmppOnline,
  type BitweenNode,
  type Prosody,
  type SharesResult,
} from '../harness/index.js';

/**
 * Two instances of one account (resources "laptop" and "server") publish one PEP item together:
 * each merges its own entry into the last item of the account (the original's per-resource
 * merge). bob, a contact, sees both; an instance that leaves or crashes disappears.
 */
describe('several instances of one account', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let laptop: BitweenNode;
  let server: BitweenNode;
  let bob: BitweenNode;

  /** alice's instances as bob sees them: XMPP resource → share names (entries are `<resource>/<engine id>`). */
  async function aliceAtBob(): Promise<Record<string, string[]>> {
    const { shares } = await bob.rpc.result<SharesResult>('xmpp.get_shares');
    const out: Record<string, string[]> = {};
    for (const [entry, r] of Object.entries(shares[prosody.jid('alice')] ?? {})) {
      const instance = entry.split('/')[0] ?? entry;
      (out[instance] ??= []).push(...Object.values(r.shares).map((s) => s.name));
    }
    return out;
  }

  async function share(node: BitweenNode, name: string): Promise<void> {
    const path = join(node.dirs.shares, name);
    await writeFile(path, `${name}\n`.repeat(1000));
    expect(await node.rpc.result('bt.add_path', { path })).toBe(true);
  }

  beforeAll(async () => {
    prosody = await startProsody(cleanup, {
      accounts: [
        { user: 'alice', password: 'alice-pw' },
        { user: 'bob', password: 'bob-pw' },
      ],
      friends: ['alice', 'bob'],
    });
    [laptop, server, bob] = await Promise.all([
      startNode(cleanup, {
        user: 'alice',
        password: 'alice-pw',
        prosody,
        resource: 'laptop',
        name: 'alice-laptop',
      }),
      startNode(cleanup, {
        user: 'alice',
        password: 'alice-pw',
        prosody,
        resource: 'server',
        name: 'alice-server',
      }),
      startNode(cleanup, { user: 'bob', password: 'bob-pw', prosody, name: 'siblings-bob' }),
    ]);
    await Promise.all([laptop, server, bob].map((n) => xmppOnline(n.gateway)));
  });
  afterAll(() => cleanup.run());

  it('publishes both instances in one item', async () => {
    await share(laptop, 'holiday.txt');
    await share(server, 'backup.txt');
    const seen = await waitFor(
      async () => {
        const a = await aliceAtBob();
        return a.laptop?.length && a.server?.length ? a : undefined;
      },
      { what: 'both of alice’s instances at bob' },
    );
    expect(seen).toEqual({ laptop: ['holiday.txt'], server: ['backup.txt'] });
  });

  it('withdraws an instance that stops cleanly, keeping its sibling', async () => {
    expect(await server.gateway.stop()).toBe(0);
    const seen = await waitFor(
      async () => {
        const a = await aliceAtBob();
        return a.laptop && !a.server ? a : undefined;
      },
      { what: 'only the laptop at bob' },
    );
    expect(seen).toEqual({ laptop: ['holiday.txt'] });
  });

  it('drops a crashed instance (the original re-published it for ever)', async () => {
    const gateway = await server.restart('gateway');
    await xmppOnline(gateway, 'server back online');
    await waitFor(
      async () => {
        const a = await aliceAtBob();
        return a.server?.length ? a : undefined;
      },
      { what: 'the server instance back at bob' },
    );
    // (The laptop logged the same line when the server stopped in the test before: only a later one counts.)
    const before = laptop.gateway.logs.length;
    process.kill(gateway.pid, 'SIGKILL');
    await laptop.gateway.waitForLog(
      (l) =>
        l.msg === 'a sibling instance went offline: its entry is no longer republished' &&
        laptop.gateway.logs.indexOf(l) >= before,
      {
        what: 'the laptop to notice its sibling is gone',
      },
    );
    const seen = await waitFor(
      async () => {
        const a = await aliceAtBob();
        return a.laptop && !a.server ? a : undefined;
      },
      { what: 'the crashed server to disappear at bob' },
    );
    expect(seen).toEqual({ laptop: ['holiday.txt'] });
  });
});
