import { BusError, engine, serviceNames, xmpp, type TorrentStatus } from '@bitween/messages';
import { Bus, EngineRegistry, ServiceHost, type NatsConnection } from '@bitween/bus';
import { connectNats, createLogger } from '@bitween/runtime';
import type { FastifyInstance } from 'fastify';
import parse, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { natsAppDeps, overNats } from '../testing/app-deps.js';
import { createMetrics } from './plugin.js';
import { startNatsServer } from '../testing/nats-server.js';
import { torrent as fixture } from '../testing/peers.js';

/*
 * GET /metrics of the real app against a real nats-server, with an engine and a gateway built
 * from the real contracts (ServiceHost, registry): the output is parsed as Prometheus text.
 */

const log = createLogger('metrics-test', 'silent');
const KEY = 'metrics-test-api-key-0123';
const auth = { 'x-api-key': KEY };

// The shared fixture with this file's neutral values (the assertions count rates, peers, states).
const torrent = (hash: string, over: Partial<TorrentStatus> = {}): TorrentStatus =>
  fixture({ hash, name: 'x', size: 10, savePath: '/srv', uploaded: 0, files: [], addedAt: 0, ...over });
const held = [
  torrent('a'.repeat(40), { uploadSpeed: 30, uploaded: 1000, peers: 1 }),
  torrent('b'.repeat(40), {
    state: 'downloading',
    downloadSpeed: 100,
    downloaded: 500,
    peers: 2,
    done: false,
  }),
  torrent('c'.repeat(40), { state: 'downloading', downloadSpeed: 50, downloaded: 10, done: false }),
];

let nats: { url: string; stop(): Promise<void> };
let peerNc: NatsConnection;
let apiNc: NatsConnection;
let engineHost: ServiceHost;
let gatewayHost: ServiceHost;
let app: FastifyInstance;

beforeAll(async () => {
  nats = await startNatsServer();
  peerNc = await connectNats(nats.url, 'test-peers', log);
  apiNc = await connectNats(nats.url, 'test-api', log);
  const peerBus = new Bus(peerNc, log);
  await (
    await EngineRegistry.open(peerNc, log)
  ).announce({
    engineId: 'e1',
    version: '0.1.0',
    endpoints: [],
    torrents: held.map((t) => ({ hash: t.hash, name: t.name, size: t.size })),
    heartbeatMs: 60_000,
    refusedDials: { loopback: 3, lan: 1 },
    portMapping: {
      state: 'mapped',
      protocol: 'nat-pmp',
      external: { address: '203.0.113.10', port: 40_001 },
      internalPort: 51413,
      expiresAt: 3_600_000,
      lastError: null,
      since: 1,
    },
    reachability: {
      verdict: 'mapped',
      publicAddresses: ['203.0.113.10'],
      ipv6: [],
      stun: true,
      turn: false,
      since: 1,
    },
    connections: { tcpDirect: 4, tcpMapped: 2, webrtcDirect: 1, webrtcRelayed: 0 },
    admission: { admitted: 6, refused: { 'no-proof': 2, stranger: 5 } },
  });

  engineHost = await ServiceHost.start(peerBus, {
    name: serviceNames.engine,
    version: '0.1.0',
    metadata: { engineId: 'e1' }, // as the engine's own
  });
  engineHost.serve(engine.list, () => ({ torrents: held }), { params: { engineId: 'e1' } });
  engineHost.serve(engine.addPath, () => {
    throw new BusError('not_found', 'no such file');
  });
  gatewayHost = await ServiceHost.start(peerBus, { name: serviceNames.gateway, version: '0.2.0' });
  gatewayHost.serve(xmpp.status, () => ({
    jid: 'me@example.org/bitween',
    online: true,
    contacts: 4,
    droppedEntries: 2,
    droppedSignalling: 7,
  }));

  const env = { BITWEEN_DEFAULT_TIMEOUT_MS: '3000' };
  app = await buildApp(overNats(await natsAppDeps(apiNc, { log, apiKey: KEY, env })));
});

afterAll(async () => {
  await app?.close();
  await engineHost?.stop();
  await gatewayHost?.stop();
  await apiNc?.close();
  await peerNc?.close();
  await nats?.stop();
});

const rpc = (method: string, params?: unknown) =>
  app.inject({
    method: 'POST',
    url: '/api',
    headers: { 'content-type': 'application/json', ...auth },
    payload: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });

async function scrape(): Promise<Family[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(res.body);
}

/** The value of the one series of `name` whose labels include `labels`; undefined when absent. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

describe('GET /metrics', () => {
  it("exposes every service's NATS micro stats, with errors and time from ServiceHost", async () => {
    await rpc('bt.get_torrents');
    await rpc('bt.add_path', { path: '/nope' });
    const m = await scrape();
    const type = (name: string) => m.find((f) => f.name === name)?.type;
    expect(type('bitween_service_requests_total')).toBe('COUNTER');
    expect(value(m, 'bitween_service_instances', { service: serviceNames.engine })).toBe(1);
    expect(value(m, 'bitween_service_instances', { service: serviceNames.gateway })).toBe(1);
    const list = { service: serviceNames.engine, endpoint: 'engine_list' };
    expect(value(m, 'bitween_service_requests_total', list)).toBeGreaterThanOrEqual(1);
    const addPath = { service: serviceNames.engine, endpoint: 'engine_add-path' };
    expect(value(m, 'bitween_service_requests_total', addPath)).toBe(1);
    expect(value(m, 'bitween_service_errors_total', addPath)).toBe(1);
    expect(value(m, 'bitween_service_errors_total', list)).toBe(0);
    expect(value(m, 'bitween_service_processing_seconds_total', addPath)).toBeGreaterThan(0);
  });

  it('exposes the engine registry and the torrents by engine and state, with rates', async () => {
    const m = await scrape();
    expect(value(m, 'bitween_engines_live')).toBe(1);
    expect(value(m, 'bitween_engine_refused_dials_total', { engine: 'e1', reason: 'loopback' })).toBe(3);
    expect(value(m, 'bitween_engine_refused_dials_total', { engine: 'e1', reason: 'lan' })).toBe(1);
    expect(value(m, 'bitween_engine_torrents', { engine: 'e1' })).toBe(3);
    expect(value(m, 'bitween_torrents', { engine: 'e1', state: 'seeding' })).toBe(1);
    expect(value(m, 'bitween_torrents', { engine: 'e1', state: 'downloading' })).toBe(2);
    expect(value(m, 'bitween_download_bytes_per_second', { engine: 'e1' })).toBe(150);
    expect(value(m, 'bitween_upload_bytes_per_second', { engine: 'e1' })).toBe(30);
    expect(value(m, 'bitween_downloaded_bytes', { engine: 'e1' })).toBe(510);
    expect(value(m, 'bitween_uploaded_bytes', { engine: 'e1' })).toBe(1000);
    expect(value(m, 'bitween_peers', { engine: 'e1' })).toBe(3);
  });

  it("exposes each engine's reachability, port mapping, connections by transport and admission", async () => {
    const m = await scrape();
    const type = (name: string) => m.find((f) => f.name === name)?.type;
    for (const counter of [
      'bitween_peer_connections_total',
      'bitween_peers_admitted_total',
      'bitween_peers_refused_total',
    ])
      expect(type(counter)).toBe('COUNTER');
    expect(type('bitween_reachable')).toBe('GAUGE');
    const e1 = { engine: 'e1' };
    expect(value(m, 'bitween_peer_connections_total', { ...e1, transport: 'tcp_direct' })).toBe(4);
    expect(value(m, 'bitween_peer_connections_total', { ...e1, transport: 'tcp_mapped' })).toBe(2);
    expect(value(m, 'bitween_peer_connections_total', { ...e1, transport: 'webrtc_direct' })).toBe(1);
    expect(value(m, 'bitween_peer_connections_total', { ...e1, transport: 'webrtc_relayed' })).toBe(0);
    expect(value(m, 'bitween_peers_admitted_total', e1)).toBe(6);
    expect(value(m, 'bitween_peers_refused_total', { ...e1, reason: 'no-proof' })).toBe(2);
    expect(value(m, 'bitween_peers_refused_total', { ...e1, reason: 'stranger' })).toBe(5);
    expect(value(m, 'bitween_reachable', { ...e1, verdict: 'mapped' })).toBe(1);
    for (const verdict of ['direct', 'hole-punching', 'relay', 'unreachable', 'unknown'])
      expect(value(m, 'bitween_reachable', { ...e1, verdict })).toBe(0);
    expect(value(m, 'bitween_port_mapped', { ...e1, protocol: 'nat-pmp' })).toBe(1);
    expect(value(m, 'bitween_port_mapped', { ...e1, protocol: 'upnp-igd' })).toBe(0);
  });

  it('gives an engine older than reachability none of its series', async () => {
    const { registry, apply } = createMetrics();
    const older = { engineId: 'e0', version: '0.0.9', endpoints: [], torrents: [], heartbeatMs: 60_000 };
    apply(
      {
        services: { ok: true, stats: [] },
        engines: { ok: true, engines: [{ state: older, seenAt: 0 }] },
        torrents: { ok: true, torrents: [], failedEngines: [] },
        xmpp: { ok: false, error: 'down' },
      },
      0,
    );
    const m = parse(await registry.metrics());
    expect(value(m, 'bitween_engine_torrents', { engine: 'e0' })).toBe(0);
    for (const name of [
      'bitween_reachable',
      'bitween_port_mapped',
      'bitween_peer_connections_total',
      'bitween_peers_admitted_total',
    ])
      expect(value(m, name, { engine: 'e0' })).toBeUndefined();
  });

  it("exposes the gateway's XMPP status", async () => {
    const m = await scrape();
    expect(value(m, 'bitween_xmpp_online')).toBe(1);
    expect(value(m, 'bitween_xmpp_contacts')).toBe(4);
    expect(value(m, 'bitween_xmpp_dropped_entries_total')).toBe(2);
    expect(value(m, 'bitween_xmpp_refused_signalling_total')).toBe(7);
    for (const source of ['services', 'engines', 'torrents', 'xmpp']) {
      expect(value(m, 'bitween_scrape_source_up', { source })).toBe(1);
    }
  });

  it("exposes the api's own HTTP metrics by route pattern (never the raw URL) and process metrics", async () => {
    await app.inject({ method: 'GET', url: '/health' });
    await app.inject({ method: 'GET', url: '/no/such/page?x=1', headers: auth });
    const m = await scrape();
    expect(
      value(m, 'bitween_api_http_requests_total', { method: 'POST', route: '/api', status_code: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(value(m, 'bitween_api_http_requests_total', { route: '/health' })).toBe(1);
    expect(value(m, 'bitween_api_http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(1);
    const routes = m
      .find((f) => f.name === 'bitween_api_http_requests_total')!
      .metrics.map((s) => s.labels?.['route']);
    expect(routes).not.toContain('/no/such/page?x=1');
    const histogram = m.find((f) => f.name === 'bitween_api_http_request_duration_seconds');
    expect(histogram?.type).toBe('HISTOGRAM');
    // (The parser keeps a histogram's buckets but not its labels.)
    expect(histogram?.metrics.some((s) => Number(s.buckets?.['+Inf']) >= 1)).toBe(true);
    expect(value(m, 'bitween_api_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('counts an instance that answers late (a busy engine), not only those that answer at once', async () => {
    // e2, live in the registry, answers $SRV.STATS 300 ms after the others.
    const registry = await EngineRegistry.open(peerNc, log);
    await registry.announce({
      engineId: 'e2',
      version: '0.1.0',
      endpoints: [],
      torrents: [],
      heartbeatMs: 60_000,
    });
    const slow = peerNc.subscribe('$SRV.STATS', {
      callback: (_err, msg) => {
        const stats = {
          type: 'io.nats.micro.v1.stats_response',
          name: serviceNames.engine,
          id: 'slow-e2',
          version: '0.1.0',
          metadata: { engineId: 'e2' },
          started: new Date().toISOString(),
          endpoints: [],
        };
        setTimeout(() => msg.respond(JSON.stringify(stats)), 300);
      },
    });
    await peerNc.flush();
    try {
      const m = await scrape();
      expect(value(m, 'bitween_service_instances', { service: serviceNames.engine })).toBe(2);
      expect(value(m, 'bitween_service_instances', { service: serviceNames.gateway })).toBe(1);
    } finally {
      slow.unsubscribe();
      await registry.withdraw('e2');
    }
  });

  it('says which source is down when the gateway stops, and drops its series', async () => {
    await gatewayHost.stop();
    const m = await scrape();
    expect(value(m, 'bitween_scrape_source_up', { source: 'xmpp' })).toBe(0);
    expect(value(m, 'bitween_scrape_source_up', { source: 'engines' })).toBe(1);
    // Not answering counts as not online; the contacts are unknown (0).
    expect(value(m, 'bitween_xmpp_online')).toBe(0);
    expect(value(m, 'bitween_service_instances', { service: serviceNames.gateway })).toBeUndefined();
    // Its counters keep their last value until it answers again (0 would look like a restart).
    expect(value(m, 'bitween_xmpp_refused_signalling_total')).toBe(7);
  });
});
