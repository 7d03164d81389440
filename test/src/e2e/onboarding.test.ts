import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  freePort,
  repoRoot,
  RestError,
  startFriends,
  waitFor,
  type BitweenNode,
  type Prosody,
} from '../harness/index.js';

interface Account {
  configured: boolean;
  source: 'environment' | 'setup' | null;
  jid: string | null;
  online: boolean;
}

interface FriendShare {
  hash: string;
  name: string;
  sources: { jid: string; online: boolean }[];
}

/** The problem an API call answers with (fails the test if it succeeds). */
async function problem(call: Promise<unknown>): Promise<RestError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof RestError) return err;
    throw err;
  }
  throw new Error('expected an error answer');
}

/** The real `bitween` CLI against `node`'s api, with `input` on stdin. */
function cli(
  node: BitweenNode,
  args: string[],
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, 'apps', 'cli', 'dist', 'main.js'), ...args],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          BITWEEN_API_URL: node.apiUrl,
          BITWEEN_DATA_DIR: node.dirs.apiData,
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}

/**
 * First run without an XMPP account: the daemon runs, says it is unconfigured, and takes the
 * account through the API (as the web UI's onboarding does), checking the login before storing
 * it; afterwards sharing works, and the account survives a gateway restart.
 */
describe('onboarding: the XMPP account set through the API', () => {
  const cleanup = new Cleanup();
  let prosody: Prosody;
  let alice: BitweenNode;
  let bob: BitweenNode;

  beforeAll(async () => {
    ({
      prosody,
      nodes: [alice, bob],
    } = await startFriends(cleanup, ['alice', 'bob'], { node: { alice: { unconfigured: true } } }));
  });

  afterAll(() => cleanup.run());

  it('starts without an account and says so', async () => {
    await alice.gateway.waitForLog((l) => /no XMPP account configured/.test(l.msg), {
      what: 'the gateway waiting for an account',
    });
    expect(await alice.rest.get<Account>('/v1/account')).toEqual({
      configured: false,
      source: null,
      jid: null,
      online: false,
    });
    // Healthy for a container healthcheck: it works and waits for the user.
    const health = await waitFor(
      async () => {
        const res = await fetch(`${alice.apiUrl}/health`);
        const body = (await res.json()) as { status: string };
        if (body.status === 'degraded') throw new Error(`degraded: ${JSON.stringify(body)}`);
        return { code: res.status, body };
      },
      { what: 'health without an account' },
    );
    expect(health).toMatchObject({ code: 200, body: { status: 'unconfigured' } });
    const status = await alice.rest.get<{ xmpp: { configured?: boolean; online: boolean } }>('/v1/status');
    expect(status.xmpp).toMatchObject({ configured: false, online: false });
    expect(await alice.rest.get('/v1/contacts')).toMatchObject({ contacts: [] });
    expect(await alice.rest.get('/v1/shares')).toMatchObject({ shares: [] });
    const approve = await problem(alice.rest.post('/v1/subscriptions/carol@localhost/approve'));
    expect(approve.status).toBe(422);
    expect(approve.message).toMatch(/no XMPP account/);
  });

  it('refuses a wrong password, an unreachable server and a malformed account, storing nothing', async () => {
    const wrong = await problem(
      alice.rest.put('/v1/account', { jid: alice.jid, password: 'not-it', service: prosody.service }),
    );
    expect(wrong.status).toBe(422);
    expect(wrong.message).toMatch(/refused the login/);

    const closedPort = await freePort();
    const unreachable = await problem(
      alice.rest.put('/v1/account', {
        jid: alice.jid,
        password: 'alice-pw',
        service: `xmpp://127.0.0.1:${closedPort}`,
      }),
    );
    expect(unreachable.status).toBe(422);
    expect(unreachable.message).toMatch(/connection refused/);

    for (const body of [
      { jid: 'no-at-sign', password: 'x' },
      { jid: alice.jid, password: '' },
      { jid: alice.jid, password: 'x', service: 'http://example.org' },
      { jid: alice.jid },
    ]) {
      const bad = await problem(alice.rest.put('/v1/account', body));
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    await expect(stat(join(alice.dirs.gatewayData, 'xmpp-account.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect((await alice.rest.get<Account>('/v1/account')).configured).toBe(false);
  });

  it('the CLI shows the missing account and passes on a refused login', async () => {
    const shown = await cli(alice, ['account']);
    expect(shown).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/no account configured/) as unknown,
    });
    const refused = await cli(
      alice,
      ['account', 'set', alice.jid, '--service', prosody.service],
      'wrong-pw\n',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the login/);
    const empty = await cli(alice, ['account', 'set', alice.jid], '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no password given/);
  });

  it('takes the right account, stores it privately and logs in', async () => {
    const set = await alice.rest.put<{ jid: string; online: boolean }>('/v1/account', {
      jid: alice.jid,
      password: 'alice-pw',
      service: prosody.service,
    });
    expect(set).toEqual({ jid: alice.jid, online: true });
    expect(await alice.rest.get<Account>('/v1/account')).toEqual({
      configured: true,
      source: 'setup',
      jid: alice.jid,
      online: true,
    });
    const file = join(alice.dirs.gatewayData, 'xmpp-account.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      jid: alice.jid,
      password: 'alice-pw',
      service: prosody.service,
    });
    // The password never comes back out of the API.
    expect(JSON.stringify(await alice.rest.get('/v1/status'))).not.toContain('alice-pw');
    const shown = await cli(alice, ['account']);
    expect(shown.stdout).toContain(`${alice.jid} (online; set through the API)`);
  });

  it('shares with friends once onboarded', async () => {
    const path = join(alice.dirs.shares, 'after-onboarding.txt');
    await writeFile(path, 'shared after the account was set\n');
    await alice.rest.post('/v1/torrents', { path });
    const share = await waitFor(
      async () => {
        const { shares } = await bob.rest.get<{ shares: FriendShare[] }>('/v1/shares');
        return shares.find((s) => s.name === 'after-onboarding.txt');
      },
      { what: "alice's share at bob", timeoutMs: 60_000 },
    );
    expect(share.sources).toEqual([expect.objectContaining({ jid: alice.jid, online: true })]);
    const { contacts } = await alice.rest.get<{ contacts: { jid: string; online: boolean }[] }>(
      '/v1/contacts',
    );
    expect(contacts).toEqual([expect.objectContaining({ jid: bob.jid })]);
  });

  it('logs in with the stored account after a restart', async () => {
    await alice.gateway.stop();
    await alice.restart('gateway');
    const account = await waitFor(
      async () => {
        const a = await alice.rest.get<Account>('/v1/account');
        if (!a.online) throw new Error(`not online yet: ${JSON.stringify(a)}`);
        return a;
      },
      { what: 'alice online again with the stored account', timeoutMs: 60_000 },
    );
    expect(account).toEqual({ configured: true, source: 'setup', jid: alice.jid, online: true });
  });

  it('refuses to change an account that comes from the environment', async () => {
    const conflict = await problem(
      bob.rest.put('/v1/account', { jid: alice.jid, password: 'alice-pw', service: prosody.service }),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.message).toMatch(/BITWEEN_XMPP_JID/);
    expect(await bob.rest.get<Account>('/v1/account')).toMatchObject({
      configured: true,
      source: 'environment',
      jid: bob.jid,
    });
  });
});
