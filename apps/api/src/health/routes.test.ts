import { serviceNames, xmpp } from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { natsAppDeps, overNats } from '../testing/app-deps.js';
import { startNatsServer, type NatsServer } from '../testing/nats-server.js';

/*
 * Health with a real nats-server that is really stopped (and started again): the api must notice
 * that NATS is gone, not report the state it had at start.
 */

const log = createLogger('health-test', 'silent');
let nats: NatsServer;
let apiNc: NatsConnection;
let peerNc: NatsConnection;
let gateway: ServiceHost;
let app: FastifyInstance;

/** Poll `check` until it is true (each answer is awaited, so a slow answer counts too). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const get = (url: string) => app.inject({ method: 'GET', url });

beforeAll(async () => {
  nats = await startNatsServer();
  apiNc = await connectNats(nats.url, 'health-api', log);
  peerNc = await connectNats(nats.url, 'health-peers', log);
  const registry = await EngineRegistry.open(peerNc, log);
  await registry.announce({
    engineId: 'e1',
    version: '0.1.0',
    endpoints: [],
    torrents: [],
    heartbeatMs: 60_000,
  });
  gateway = await ServiceHost.start(new Bus(peerNc, log), { name: serviceNames.gateway, version: '0.1.0' });
  gateway.serve(xmpp.status, () => ({ jid: 'me@example.org/bitween', online: true, contacts: 0 }));
  const env = { BITWEEN_DEFAULT_TIMEOUT_MS: '2000', BITWEEN_API_CACHE_MS: '0' };
  app = await buildApp(
    overNats(await natsAppDeps(apiNc, { log, apiKey: 'health-test-key-0123456789', env })),
  );
});

afterAll(async () => {
  await app?.close();
  await gateway?.stop().catch(() => undefined);
  await peerNc?.close();
  await apiNc?.close();
  await nats?.stop();
});

describe('health', () => {
  it('is live, ready and ok while NATS, the gateway and an engine are up', async () => {
    expect((await get('/health/live')).json()).toEqual({ status: 'live' });
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      nats: { state: 'connected', rttMs: expect.any(Number) as unknown },
      gateway: 'reachable',
      engines: 1,
      reasons: [],
    });
    expect((await get('/health')).json()).toMatchObject({ status: 'ok', nats: 'connected' });
  });

  it('is not ready without a gateway, naming it', async () => {
    await gateway.stop();
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'not-ready',
      nats: { state: 'connected' },
      gateway: 'unreachable',
      reasons: [expect.stringMatching(/XMPP gateway does not answer/) as unknown],
    });
  });

  it('says NATS is down once nats-server is stopped (503 at once, live stays 200), and connected again after it is back', async () => {
    const port = nats.port;
    await nats.stop();
    await until('/health/ready to report NATS down', async () => {
      // A probe answers within its PING timeout, never hangs on the requests NATS buffers (one
      // that hung would fail this test by its timeout; how fast it answers is for bench/).
      const res = await get('/health/ready');
      return res.statusCode === 503 && res.json<{ nats: { state: string } }>().nats.state !== 'connected';
    });
    const ready = (await get('/health/ready')).json<{ reasons: string[]; nats: { state: string } }>();
    expect(ready.nats.state).toBe('disconnected');
    expect(ready.reasons[0]).toMatch(/NATS/);
    const legacy = await get('/health');
    expect(legacy.statusCode).toBe(503);
    expect(legacy.json()).toMatchObject({
      status: 'degraded',
      nats: 'disconnected',
      xmpp: { error: expect.stringMatching(/NATS/) as unknown },
    });
    expect((await get('/health/live')).statusCode).toBe(200);
    const status = await app.inject({
      method: 'GET',
      url: '/v1/status',
      headers: { 'x-api-key': 'health-test-key-0123456789' },
    });
    expect(status.json()).toMatchObject({ nats: 'disconnected' });

    nats = await startNatsServer({ port });
    await until('the api to reconnect', async () => {
      const res = await get('/health');
      return res.json<{ nats: string }>().nats === 'connected';
    });
    expect((await get('/health/ready')).json()).toMatchObject({ nats: { state: 'connected' } });
  }, 30_000);
});
