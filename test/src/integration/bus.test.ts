import { BusError, command, event } from '@bitween/messages';
import { Bus, ServiceHost, type Logger } from '@bitween/bus';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Cleanup, startNats } from '../harness/index.js';

/** Records what the bus logs, so tests can see that bad input is reported. */
function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

const echo = command({
  name: 'test.echo',
  subject: 'bitween.v1.test.echo',
  request: z.object({ n: z.number().int() }),
  response: z.object({ doubled: z.number().int() }),
});
const liar = command({
  name: 'test.liar',
  subject: 'bitween.v1.test.liar',
  request: z.object({}),
  response: z.object({ ok: z.literal(true) }),
});
const tick = event({
  name: 'test.tick',
  subject: 'bitween.v1.evt.test.tick',
  payload: z.object({ n: z.number() }),
});

describe('the typed bus on a real nats-server', () => {
  const cleanup = new Cleanup();
  let nc: NatsConnection;
  let server: ReturnType<typeof recordingLogger>;
  let client: ReturnType<typeof recordingLogger>;
  let bus: Bus;

  beforeAll(async () => {
    const nats = await startNats(cleanup);
    nc = await nats.connect();
    server = recordingLogger();
    client = recordingLogger();
    const host = await ServiceHost.start(new Bus(nc, server.log), { name: 'bitween-test', version: '1.0.0' });
    cleanup.add('service', () => host.stop());
    host.serve(echo, ({ n }) => {
      if (n < 0) throw new BusError('failed', 'negative numbers are not doubled');
      if (n === 13) throw new Error('unlucky');
      return { doubled: n * 2 };
    });
    // A buggy responder: its reply does not match its own contract.
    nc.subscribe(liar.subject(), {
      callback: (_e, msg) => {
        msg.respond(JSON.stringify({ ok: 'yes' }));
      },
    });
    bus = new Bus(nc, client.log);
  });
  afterAll(() => cleanup.run());

  it('round-trips a valid request', async () => {
    expect(await bus.request(echo, { n: 21 })).toEqual({ ok: true, value: { doubled: 42 } });
  });

  it('does not send a request that fails its contract', async () => {
    const r = await bus.request(echo, { n: 1.5 });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(client.lines.some((l) => l.msg === 'request not sent: it fails its contract')).toBe(true);
  });

  it('answers raw bytes that fail the contract with a typed error, logging subject and issues', async () => {
    const reply = await nc.request(echo.subject(), JSON.stringify({ n: 'x' }), { timeout: 5000 });
    expect(reply.headers?.get('Nats-Service-Error-Code')).toBe('400');
    expect(reply.json()).toEqual({
      error: {
        code: 'invalid_request',
        message: 'n: Invalid input: expected number, received string',
        issues: [{ path: 'n', message: 'Invalid input: expected number, received string' }],
      },
    });
    expect(server.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'rejected a request that fails its contract',
        obj: expect.objectContaining({ subject: 'bitween.v1.test.echo' }) as unknown,
      }),
    );
  });

  it('carries typed errors from the handler, and hides a crash behind "internal"', async () => {
    expect(await bus.request(echo, { n: -1 })).toMatchObject({
      ok: false,
      error: { code: 'failed', message: 'negative numbers are not doubled' },
    });
    expect(await bus.request(echo, { n: 13 })).toMatchObject({
      ok: false,
      error: { code: 'internal', message: 'test.echo failed: unlucky' },
    });
    expect(server.lines.some((l) => l.level === 'error' && l.msg === 'handler failed')).toBe(true);
    // …and keeps serving.
    expect(await bus.request(echo, { n: 2 })).toEqual({ ok: true, value: { doubled: 4 } });
  });

  it('reports a reply that fails its contract as invalid_reply', async () => {
    expect(await bus.request(liar, {})).toMatchObject({ ok: false, error: { code: 'invalid_reply' } });
  });

  it('reports "unavailable" when nobody serves the subject, without waiting for the timeout', async () => {
    const nobody = command({ ...echo, name: 'test.nobody', subject: 'bitween.v1.test.nobody' });
    const started = Date.now();
    const r = await bus.request(nobody, { n: 1 }, { timeoutMs: 60_000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('reports "timeout" when the responder is too slow', async () => {
    const slow = command({ ...echo, name: 'test.slow', subject: 'bitween.v1.test.slow' });
    const sub = nc.subscribe(slow.subject(), { callback: () => undefined }); // never answers
    cleanup.add('slow sub', () => sub.unsubscribe());
    expect(await bus.request(slow, { n: 1 }, { timeoutMs: 200 })).toMatchObject({
      ok: false,
      error: { code: 'timeout' },
    });
  });

  it('delivers valid events and drops invalid ones with a log line', async () => {
    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      bus.subscribe(tick, ({ n }) => {
        received.push(n);
        if (n === 2) resolve();
      });
    });
    await nc.flush();
    nc.publish(tick.subject(), JSON.stringify({ n: 1 }));
    nc.publish(tick.subject(), 'garbage');
    nc.publish(tick.subject(), JSON.stringify({ n: 'two' }));
    expect(bus.publish(tick, { n: 2 })).toBe(true);
    await done;
    expect(received).toEqual([1, 2]);
    const drops = client.lines.filter((l) => l.msg === 'dropped an event that fails its contract');
    expect(drops).toHaveLength(2);
    expect(drops[0]?.obj).toMatchObject({ subject: 'bitween.v1.evt.test.tick' });
  });

  it('refuses to publish an event that fails its own contract', () => {
    expect(bus.publish(tick, { n: 'x' } as unknown as { n: number })).toBe(false);
    expect(
      client.lines.some((l) => l.level === 'error' && l.msg === 'event not published: it fails its contract'),
    ).toBe(true);
  });

  it('refuses an event larger than the server accepts, without throwing', () => {
    const blob = event({
      name: 'test.blob',
      subject: 'bitween.v1.evt.test.blob',
      payload: z.object({ s: z.string() }),
    });
    expect(bus.publish(blob, { s: 'x'.repeat(2 * 1024 * 1024) })).toBe(false);
    expect(client.lines.some((l) => l.msg === 'event not published: larger than the NATS max payload')).toBe(
      true,
    );
  });
});
