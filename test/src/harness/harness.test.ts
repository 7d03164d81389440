import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeName } from './prosody.js';
import {
  Cleanup,
  freePort,
  JsonRpcClient,
  JsonRpcError,
  spawnChild,
  startNats,
  startProsody,
  startScript,
  waitFor,
  type Prosody,
} from './index.js';

const fakeService = fileURLToPath(new URL('./fixtures/fake-service.mjs', import.meta.url));

/** True while a process with this pid exists (signal 0 only checks). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every test gets its own Cleanup to check what it leaves behind; afterAll is the net for failures. */
const all: Cleanup[] = [];
function newCleanup(): Cleanup {
  const cleanup = new Cleanup();
  all.push(cleanup);
  return cleanup;
}
afterAll(async () => {
  for (const cleanup of all) await cleanup.run();
});

describe('waitFor', () => {
  it('resolves with the value once the condition flips', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 100);
    const started = Date.now();
    await expect(waitFor(() => ready && 'flipped', { what: 'the flag' })).resolves.toBe('flipped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('retries a check that throws', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        if (++calls < 3) throw new Error('not yet');
        return { calls };
      },
      { what: 'three calls', intervalMs: 10 },
    );
    expect(value).toEqual({ calls: 3 });
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(waitFor(() => false, { what: 'the moon', timeoutMs: 200 })).rejects.toThrow(
      'timed out after 200ms waiting for the moon',
    );
    await expect(
      waitFor(
        () => {
          throw new Error('boom');
        },
        { what: 'a broken check', timeoutMs: 100 },
      ),
    ).rejects.toThrow(/waiting for a broken check; last error: boom/);
  });

  it('does not call the last check hung when the deadline came before it could answer', async () => {
    // The first check answers (false) in 100 ms; the next starts at the deadline and is cut at
    // once: the check never hung, and the error must not say it did (it misled a CI diagnosis).
    const slowNo = () => new Promise<false>((resolve) => setTimeout(() => resolve(false), 100));
    await expect(waitFor(slowNo, { what: 'a slow no', timeoutMs: 3000, intervalMs: 2990 })).rejects.toThrow(
      /^timed out after 3000ms waiting for a slow no$/,
    );
  });

  it('abandons a check that hangs at the deadline', async () => {
    await expect(
      waitFor(() => new Promise<never>(() => {}), { what: 'a hung check', timeoutMs: 100 }),
    ).rejects.toThrow(
      /^timed out after 100ms waiting for a hung check; the last check had not returned after \d+ms$/,
    );
  });
});

describe('Cleanup', () => {
  it('runs steps newest first, survives failing steps, and forgets them', async () => {
    const cleanup = new Cleanup();
    const order: string[] = [];
    cleanup.add('first', () => order.push('first'));
    cleanup.add('broken', () => {
      throw new Error('expected failure of a clean-up step (logged, not thrown)');
    });
    cleanup.add('last', async () => {
      await Promise.resolve();
      order.push('last');
    });
    await cleanup.run();
    await cleanup.run();
    expect(order).toEqual(['last', 'first']);
  });
});

describe('freePort', () => {
  it('returns a port that can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('nats-server', () => {
  it('starts, answers a request, and is gone after cleanup', async () => {
    const cleanup = newCleanup();
    const nats = await startNats(cleanup);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);

    const nc = await nats.connect();
    const sub = nc.subscribe('harness.echo', {
      callback: (err, msg) => {
        if (!err) msg.respond(`echo: ${msg.string()}`);
      },
    });
    const reply = await nc.request('harness.echo', 'hello', { timeout: 5_000 });
    expect(reply.string()).toBe('echo: hello');
    sub.unsubscribe();

    expect(isRunning(nats.pid)).toBe(true);
    expect(existsSync(nats.dir)).toBe(true);
    await cleanup.run();
    expect(isRunning(nats.pid)).toBe(false);
    expect(existsSync(nats.dir)).toBe(false);
  });
});

/**
 * The roster items of a logged-in client. (@types/xmpp__client imports '@xmpp/iq/caller' without an
 * extension, which does not resolve under `module: nodenext`, so `iqCaller` is typed here.)
 */
async function roster(xmpp: Client): Promise<Record<string, string>[]> {
  const iqCaller = xmpp.iqCaller as { get(element: Element): Promise<Element | undefined> };
  const query = await iqCaller.get(xml('query', { xmlns: 'jabber:iq:roster' }));
  return (query?.getChildren('item') ?? []).map((item: Element) => ({
    ...(item.attrs as Record<string, string>),
  }));
}

describe('prosody', () => {
  /** Logs in and registers the disconnect with `cleanup`. */
  async function login(
    cleanup: Cleanup,
    prosody: Prosody,
    username: string,
    password: string,
  ): Promise<Client> {
    const xmpp = client({
      service: prosody.service,
      domain: prosody.domain,
      username,
      password,
      resource: 'harness',
    });
    cleanup.add(`xmpp ${username}`, () => xmpp.stop());
    await xmpp.start();
    return xmpp;
  }

  it('logs in friends who see each other on their rosters, and is gone after cleanup', async () => {
    const cleanup = newCleanup();
    const prosody = await startProsody(cleanup, {
      accounts: [
        { user: 'alice', password: 'alice-pw' },
        { user: 'bob', password: 'bob "quoted" pw\\' },
      ],
      friends: ['alice', 'bob'],
    });
    expect(prosody.service).toBe(`xmpp://127.0.0.1:${prosody.port}`);
    expect(prosody.jid('alice')).toBe('alice@localhost');

    const [alice, bob] = await Promise.all([
      login(cleanup, prosody, 'alice', 'alice-pw'),
      login(cleanup, prosody, 'bob', 'bob "quoted" pw\\'),
    ]);
    expect(await roster(bob)).toContainEqual(
      expect.objectContaining({ jid: 'alice@localhost', subscription: 'both' }),
    );
    expect(await roster(alice)).toEqual([
      expect.objectContaining({ jid: 'bob@localhost', subscription: 'both' }),
    ]);

    // Prosody writes its log file buffered: wait for the line rather than read once.
    await waitFor(() => readFileSync(prosody.logFile, 'utf8').includes("Activated service 'c2s'"), {
      what: 'the c2s line in the log file',
      timeoutMs: 10_000,
    });
    await cleanup.run();
    expect(isRunning(prosody.pid)).toBe(false);
    expect(existsSync(prosody.dir)).toBe(false);
  });

  it('retries when its port is taken, and handles a domain with a dot', async () => {
    const cleanup = newCleanup();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanup.add('port blocker', () => new Promise((resolve) => blocker.close(resolve)));
    const taken = (blocker.address() as { port: number }).port;

    expect(encodeName('example.com')).toBe('example%2ecom');
    const prosody = await startProsody(cleanup, {
      accounts: [{ user: 'carol', password: 'pw' }],
      friends: [],
      domain: 'example.com',
      port: taken,
    });
    // It started on another port (the first attempt found `taken` in use and was retried).
    expect(prosody.port).not.toBe(taken);
    const carol = await login(cleanup, prosody, 'carol', 'pw');
    expect(carol.jid?.toString()).toMatch(/^carol@example\.com\//);
    await cleanup.run();
    expect(isRunning(prosody.pid)).toBe(false);
  });
});

describe('startScript (the machinery of startService)', () => {
  it('collects pino lines, keeps a log file, passes only the given env, and stops', async () => {
    const cleanup = newCleanup();
    const proc = await startScript(cleanup, {
      label: 'harness-fake',
      script: fakeService,
      env: { FOO: 'bar' },
    });

    expect(proc.logs.find((l) => l.msg === 'starting')?.['env']).toEqual(['FOO', 'HOME', 'PATH']);
    expect(proc.logs).toContainEqual({ level: 30, msg: 'not json at all' });
    expect(proc.logs.find((l) => l.msg === 'ready')).toMatchObject({ level: 30, service: 'fake' });
    // stderr is another pipe: its lines may arrive after "ready" on stdout.
    await expect(proc.waitForLog((l) => l.stream === 'stderr')).resolves.toEqual({
      level: 50,
      msg: 'a line on stderr',
      stream: 'stderr',
    });

    process.kill(proc.pid, 'SIGUSR2');
    await expect(proc.waitForLog((l) => l.msg === 'poked', { timeoutMs: 10_000 })).resolves.toMatchObject({
      service: 'fake',
    });
    await expect(
      proc.waitForLog((l) => l.msg === 'never', { what: 'nothing', timeoutMs: 100 }),
    ).rejects.toThrow(/timed out after 100ms waiting for nothing; last lines:\n[^]*"msg":"poked"/);

    await expect(proc.stop()).resolves.toBe(0);
    expect(isRunning(proc.pid)).toBe(false);
    expect(proc.logs.at(-1)?.msg).toBe('stopped');
    const file = readFileSync(proc.logFile, 'utf8');
    expect(file).toContain('not json at all\n');
    expect(file).toContain('a line on stderr\n');
    expect(file).toContain('"msg":"stopped"');
    await expect(proc.waitForLog((l) => l.msg === 'never', { what: 'nothing' })).rejects.toThrow(
      'harness-fake exited with 0 while waiting for nothing',
    );
  });

  it('rejects with the last lines when the process exits before "ready"', async () => {
    const cleanup = newCleanup();
    await expect(
      startScript(cleanup, { label: 'harness-fake-crash', script: fakeService, env: { FAKE_MODE: 'crash' } }),
    ).rejects.toThrow(
      /harness-fake-crash exited with 3 while waiting for harness-fake-crash to be ready; last lines:[^]*about to crash/,
    );
  });
});

describe('spawnChild', () => {
  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const child = await spawnChild(process.execPath, [fakeService], { env: { FAKE_MODE: 'stubborn' } });
    await child.output.wait((line) => line.includes('"ready"'), { what: 'ready', timeoutMs: 10_000 });
    // It ignores SIGTERM (seen before stop(), whose 300 ms grace a loaded machine can spend before
    // the child even runs its handler)…
    child.proc.kill('SIGTERM');
    await child.output.wait((line) => line.includes('ignoring SIGTERM'), { what: 'SIGTERM ignored' });
    // …so stop() must end it with SIGKILL once the grace is over.
    await expect(child.stop(300)).resolves.toBeNull();
    expect(child.proc.signalCode).toBe('SIGKILL');
    expect(isRunning(child.pid)).toBe(false);
  });

  it('rejects when the command does not exist', async () => {
    await expect(spawnChild('/nonexistent/command', [])).rejects.toThrow(/ENOENT/);
  });
});

describe('JsonRpcClient', () => {
  it('posts to /api with the bearer token and unwraps results and errors', async () => {
    const cleanup = newCleanup();
    const seen: { url?: string; auth?: string; body: unknown }[] = [];
    const server = createHttpServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { id: number; method: string; params?: unknown };
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        if (req.headers.authorization !== 'Bearer secret') {
          res.writeHead(401).end('missing bearer token');
          return;
        }
        const answer =
          body.method === 'echo'
            ? { jsonrpc: '2.0', id: body.id, result: body.params }
            : { jsonrpc: '2.0', id: body.id, error: { code: -32601, message: 'Method not found' } };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.add('http server', () => new Promise((resolve) => server.close(resolve)));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

    const rpc = new JsonRpcClient(base, { token: 'secret' });
    await expect(rpc.result('echo', { a: 1 })).resolves.toEqual({ a: 1 });
    const failure = await rpc.result('nope').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(JsonRpcError);
    expect(failure).toMatchObject({ code: -32601, message: 'nope: JSON-RPC error -32601: Method not found' });
    expect(seen.map((s) => s.body)).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'echo', params: { a: 1 } },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
    ]);
    expect(seen[0]).toMatchObject({ url: '/api', auth: 'Bearer secret' });

    const anonymous = new JsonRpcClient(base);
    await expect(anonymous.raw({ jsonrpc: '2.0', id: 7, method: 'echo' })).resolves.toEqual({
      status: 401,
      body: 'missing bearer token',
    });
    await expect(anonymous.call('echo')).rejects.toThrow('echo: HTTP 401, not a JSON-RPC response');
    await cleanup.run();
  });
});
