import { Bus, EngineRegistry, ServiceHost, SettingsStore, type NatsConnection } from '@bitween/bus';
import { engine, serviceNames, xmpp } from '@bitween/messages';
import { connectNats, createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import parse, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { loadApiConfig } from '../config.js';
import { EventLog } from '../core/event-log.js';
import { overNats } from '../testing/app-deps.js';
import { startNatsServer } from '../testing/nats-server.js';

/*
 * Per-service process metrics: every ServiceHost endpoint's $SRV.STATS data carries its process
 * (libs/bus processSample); GET /metrics exports them labelled by service and instance, the
 * api's own with them. A real nats-server; the engine and the gateway are ServiceHosts here.
 */

const log = createLogger('process-metrics-test', 'silent');
const KEY = 'process-metrics-test-key-0123';

let nats: { url: string; stop(): Promise<void> };
let peerNc: NatsConnection;
let apiNc: NatsConnection;
let hosts: ServiceHost[] = [];
let app: FastifyInstance;

beforeAll(async () => {
  nats = await startNatsServer();
  peerNc = await connectNats(nats.url, 'test-peers', log);
  apiNc = await connectNats(nats.url, 'test-api', log);
  const peerBus = new Bus(peerNc, log);
  const engineHost = await ServiceHost.start(peerBus, { name: serviceNames.engine, version: '0.1.0' });
  engineHost.serve(engine.list, () => ({ torrents: [] }), { params: { engineId: 'e1' } });
  const gatewayHost = await ServiceHost.start(peerBus, { name: serviceNames.gateway, version: '0.1.0' });
  gatewayHost.serve(xmpp.status, () => ({ jid: 'me@example.org/x', online: true, contacts: 0 }));
  hosts = [engineHost, gatewayHost];
  app = await buildApp(
    overNats({
      bus: new Bus(apiNc, log),
      registry: await EngineRegistry.open(apiNc, log),
      settings: await SettingsStore.open(apiNc, log),
      events: await EventLog.open(apiNc, log, { maxAgeMs: 60_000, maxEvents: 1000, maxBytes: 1 << 20 }),
      log,
      config: loadApiConfig({ BITWEEN_DEFAULT_TIMEOUT_MS: '3000' }),
      version: '9.9.9',
      apiKey: KEY,
    }),
  );
});

afterAll(async () => {
  await app?.close();
  for (const h of hosts) await h.stop();
  await apiNc?.close();
  await peerNc?.close();
  await nats?.stop();
});

async function scrape(): Promise<Family[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': KEY } });
  expect(res.statusCode).toBe(200);
  return parse(res.body);
}

function series(families: Family[], name: string) {
  return (families.find((f) => f.name === name)?.metrics ?? []).map((s) => ({
    labels: s.labels ?? {},
    value: Number(s.value),
  }));
}

describe('per-service process metrics', () => {
  it('exports CPU, memory, heap and start time of the engine, the gateway and the api, by service and instance', async () => {
    const families = await scrape();
    const [engineHost, gatewayHost] = hosts as [ServiceHost, ServiceHost];
    const expected = [
      { service: serviceNames.engine, instance: engineHost.id },
      { service: serviceNames.gateway, instance: gatewayHost.id },
      { service: 'api', instance: `api-${process.pid}` },
    ];
    for (const id of expected) {
      const of = (name: string, extra: Record<string, string> = {}) =>
        series(families, name).find((s) =>
          Object.entries({ ...id, ...extra }).every(([k, v]) => s.labels[k] === v),
        )?.value;
      expect(of('bitween_process_resident_memory_bytes'), JSON.stringify(id)).toBeGreaterThan(1 << 20);
      expect(of('bitween_process_heap_used_bytes')).toBeGreaterThan(0);
      expect(of('bitween_process_cpu_seconds_total', { mode: 'user' })).toBeGreaterThan(0);
      expect(of('bitween_process_cpu_seconds_total', { mode: 'system' })).toBeGreaterThanOrEqual(0);
      const started = of('bitween_process_start_time_seconds')!;
      expect(started).toBeGreaterThan(Date.now() / 1000 - 24 * 3600);
      expect(started).toBeLessThanOrEqual(Date.now() / 1000);
    }
    expect(families.find((f) => f.name === 'bitween_process_cpu_seconds_total')?.type).toBe('COUNTER');
  });

  it('drops the series of a service that stopped', async () => {
    const gatewayHost = hosts[1]!;
    await gatewayHost.stop();
    hosts = hosts.slice(0, 1);
    const families = await scrape();
    const services = new Set(
      series(families, 'bitween_process_resident_memory_bytes').map((s) => s.labels['service']),
    );
    expect(services).toEqual(new Set([serviceNames.engine, 'api']));
  });
});
