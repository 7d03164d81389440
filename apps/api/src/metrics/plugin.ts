import { PortMappingStatus, Reachability, type EngineState } from '@bitween/messages';
import type { FastifyPluginCallback } from 'fastify';
import { Counter, Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import type { ClusterSample } from '../core/cluster-sample.js';
import type { Daemon } from '../core/daemon.js';

/** `ServiceHost`'s own endpoint counters in `$SRV.STATS` `data` (see libs/bus `EndpointCounters`). */
const EndpointData = z.object({
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  processing_ns: z.number().nonnegative(),
});

/** The instance's process, also in each ServiceHost endpoint's `data` (see libs/bus `ProcessSample`). */
const ProcessData = z.object({
  process: z.object({
    cpu_user_seconds: z.number().nonnegative(),
    cpu_system_seconds: z.number().nonnegative(),
    resident_bytes: z.number().nonnegative(),
    heap_used_bytes: z.number().nonnegative(),
    start_time_seconds: z.number().nonnegative(),
  }),
});
type ProcessData = z.infer<typeof ProcessData>['process'];

/** The api's own process in the same form (it is no NATS micro service). */
const apiInstance = `api-${process.pid}`;
const apiStarted = Date.now() / 1000 - process.uptime();
function apiProcess(): ProcessData {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpu_user_seconds: cpu.user / 1e6,
    cpu_system_seconds: cpu.system / 1e6,
    resident_bytes: mem.rss,
    heap_used_bytes: mem.heapUsed,
    start_time_seconds: apiStarted,
  };
}

export interface MetricsOptions {
  daemon: Pick<Daemon, 'sample'>;
}

const NS_PER_S = 1e9;
const VERDICTS = Reachability.shape.verdict.options;
const MAPPING_PROTOCOLS = PortMappingStatus.shape.protocol.unwrap().options;

/**
 * The metrics of the whole daemon in one Prometheus registry: the api's own HTTP and process
 * metrics, and on every scrape what the other services tell over NATS. Remote values are
 * re-set from scratch on each scrape (a service or torrent that went away leaves no stale series).
 */
export function createMetrics() {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'bitween_api_' });
  const registers = [registry];
  const labels = ['service', 'instance', 'endpoint'] as const;
  /** A gauge or counter of this registry (label names typed for `set`/`inc`). */
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const m = {
    httpRequests: counter('bitween_api_http_requests_total', 'HTTP requests answered by the api', [
      'method',
      'route',
      'status_code',
    ]),
    httpDuration: new Histogram({
      name: 'bitween_api_http_request_duration_seconds',
      help: 'Time the api took to answer an HTTP request',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    scrapeUp: gauge(
      'bitween_scrape_source_up',
      '1 when the source answered during the last scrape (services, engines, torrents, xmpp)',
      ['source'],
    ),
    scrapeSeconds: gauge(
      'bitween_scrape_duration_seconds',
      'Time the last scrape spent asking the services over NATS',
    ),
    serviceInstances: gauge(
      'bitween_service_instances',
      'Running instances of each NATS micro service ($SRV.STATS answers)',
      ['service', 'version'],
    ),
    serviceRequests: counter(
      'bitween_service_requests_total',
      'Requests an endpoint of a NATS micro service received (since that instance started)',
      labels,
    ),
    serviceErrors: counter(
      'bitween_service_errors_total',
      'Requests an endpoint answered with an error',
      labels,
    ),
    serviceSeconds: counter(
      'bitween_service_processing_seconds_total',
      'Time an endpoint spent processing requests',
      labels,
    ),
    processCpu: counter(
      'bitween_process_cpu_seconds_total',
      'CPU time of each service process (user and system) since it started',
      ['service', 'instance', 'mode'],
    ),
    processResident: gauge(
      'bitween_process_resident_memory_bytes',
      'Resident memory of each service process',
      ['service', 'instance'],
    ),
    processHeap: gauge('bitween_process_heap_used_bytes', 'V8 heap in use by each service process', [
      'service',
      'instance',
    ]),
    processStart: gauge(
      'bitween_process_start_time_seconds',
      'When each service process started (seconds since the epoch)',
      ['service', 'instance'],
    ),
    enginesLive: gauge('bitween_engines_live', 'Torrent engines with a recent heartbeat in the registry'),
    engineTorrents: gauge('bitween_engine_torrents', 'Torrents each engine holds (engine registry)', [
      'engine',
    ]),
    refusedDials: counter(
      'bitween_engine_refused_dials_total',
      'Outgoing connections the dial policy refused (since that engine started), by reason',
      ['engine', 'reason'],
    ),
    peerConnections: counter(
      'bitween_peer_connections_total',
      'Peer connections an engine opened or accepted since it started, by transport',
      ['engine', 'transport'],
    ),
    peersAdmitted: counter(
      'bitween_peers_admitted_total',
      'Peers an engine admitted as a friend (ticket proof or legacy address) since it started',
      ['engine'],
    ),
    peersRefused: counter(
      'bitween_peers_refused_total',
      'Peers an engine closed since it started, by reason (no-proof, bad-proof, stranger, overload, hidden)',
      ['engine', 'reason'],
    ),
    reachable: gauge(
      'bitween_reachable',
      "1 for the engine's current reachability verdict (direct, mapped, hole-punching, relay, unreachable, unknown), 0 for the others",
      ['engine', 'verdict'],
    ),
    portMapped: gauge(
      'bitween_port_mapped',
      "1 while the engine's port is mapped on the home router by that protocol (upnp-igd, nat-pmp)",
      ['engine', 'protocol'],
    ),
    torrents: gauge('bitween_torrents', 'Torrents by engine and state (engine.list)', ['engine', 'state']),
    downloadRate: gauge(
      'bitween_download_bytes_per_second',
      'Current download rate of all torrents of an engine',
      ['engine'],
    ),
    uploadRate: gauge('bitween_upload_bytes_per_second', 'Current upload rate of all torrents of an engine', [
      'engine',
    ]),
    downloaded: gauge(
      'bitween_downloaded_bytes',
      'Bytes downloaded by the torrents an engine holds now (drops when a torrent is removed)',
      ['engine'],
    ),
    uploaded: gauge(
      'bitween_uploaded_bytes',
      'Bytes uploaded by the torrents an engine holds now (drops when a torrent is removed)',
      ['engine'],
    ),
    peers: gauge('bitween_peers', 'Connected BitTorrent peers of an engine', ['engine']),
    xmppOnline: gauge(
      'bitween_xmpp_online',
      '1 when the gateway is logged in to XMPP (0 also when it does not answer)',
    ),
    xmppContacts: gauge('bitween_xmpp_contacts', 'Contacts whose share lists the gateway holds'),
    xmppDroppedEntries: counter(
      'bitween_xmpp_dropped_entries_total',
      "Entries or whole lists dropped from contacts' share lists as invalid (since the gateway started)",
    ),
    xmppRefusedSignalling: counter(
      'bitween_xmpp_refused_signalling_total',
      'Rendezvous and ticket IQs the gateway refused: strangers, over the rate limit, unknown hash, malformed (since it started)',
    ),
  };

  /** Reachability, port mapping, connections and admission of one engine (absent from older engines). */
  function applyReachability(state: EngineState): void {
    const engine = state.engineId;
    const c = state.connections;
    if (c) {
      const byTransport = {
        tcp_direct: c.tcpDirect,
        tcp_mapped: c.tcpMapped,
        webrtc_direct: c.webrtcDirect,
        webrtc_relayed: c.webrtcRelayed,
      };
      for (const [transport, n] of Object.entries(byTransport))
        m.peerConnections.inc({ engine, transport }, n);
    }
    if (state.admission) {
      m.peersAdmitted.inc({ engine }, state.admission.admitted);
      for (const [reason, n] of Object.entries(state.admission.refused))
        m.peersRefused.inc({ engine, reason }, n);
    }
    if (state.reachability) {
      for (const verdict of VERDICTS)
        m.reachable.set({ engine, verdict }, state.reachability.verdict === verdict ? 1 : 0);
    }
    if (state.portMapping) {
      const pm = state.portMapping;
      for (const protocol of MAPPING_PROTOCOLS)
        m.portMapped.set({ engine, protocol }, pm.state === 'mapped' && pm.protocol === protocol ? 1 : 0);
    }
  }

  function applyProcess(service: string, instance: string, p: ProcessData): void {
    m.processCpu.inc({ service, instance, mode: 'user' }, p.cpu_user_seconds);
    m.processCpu.inc({ service, instance, mode: 'system' }, p.cpu_system_seconds);
    m.processResident.set({ service, instance }, p.resident_bytes);
    m.processHeap.set({ service, instance }, p.heap_used_bytes);
    m.processStart.set({ service, instance }, p.start_time_seconds);
  }

  /** Set every remote-derived metric from one sample. */
  function apply(sample: ClusterSample, seconds: number): void {
    for (const metric of [
      m.processCpu,
      m.processResident,
      m.processHeap,
      m.processStart,
      m.enginesLive,
      m.serviceInstances,
      m.serviceRequests,
      m.serviceErrors,
      m.serviceSeconds,
      m.engineTorrents,
      m.refusedDials,
      m.peerConnections,
      m.peersAdmitted,
      m.peersRefused,
      m.reachable,
      m.portMapped,
      m.torrents,
      m.downloadRate,
      m.uploadRate,
      m.downloaded,
      m.uploaded,
      m.peers,
      m.xmppOnline,
      m.xmppContacts,
    ])
      metric.reset();
    m.scrapeSeconds.set(seconds);
    m.scrapeUp.set({ source: 'services' }, sample.services.ok ? 1 : 0);
    m.scrapeUp.set({ source: 'engines' }, sample.engines.ok ? 1 : 0);
    m.scrapeUp.set(
      { source: 'torrents' },
      sample.torrents.ok && sample.torrents.failedEngines.length === 0 ? 1 : 0,
    );
    m.scrapeUp.set({ source: 'xmpp' }, sample.xmpp.ok ? 1 : 0);

    applyProcess('api', apiInstance, apiProcess());
    if (sample.services.ok) {
      for (const s of sample.services.stats) {
        m.serviceInstances.inc({ service: s.name, version: s.version });
        // Every endpoint carries the same process sample: the first one that has it.
        const proc = (s.endpoints ?? []).map((e) => ProcessData.safeParse(e.data)).find((r) => r.success);
        if (proc?.success) applyProcess(s.name, s.id, proc.data.process);
        for (const e of s.endpoints ?? []) {
          const l = { service: s.name, instance: s.id, endpoint: e.name };
          // NATS micro's own figures miss async handlers' time and answered errors; bitween's
          // ServiceHost endpoints carry the real ones in `data`.
          const own = EndpointData.safeParse(e.data);
          // Counters reset above, so `inc` by the remote total sets them.
          m.serviceRequests.inc(l, own.success ? own.data.requests : e.num_requests);
          m.serviceErrors.inc(l, own.success ? own.data.errors : e.num_errors);
          m.serviceSeconds.inc(l, (own.success ? own.data.processing_ns : e.processing_time) / NS_PER_S);
        }
      }
    }
    if (sample.engines.ok) {
      m.enginesLive.set(sample.engines.engines.length);
      for (const { state } of sample.engines.engines) {
        const engine = state.engineId;
        m.engineTorrents.set({ engine }, state.torrents.length);
        for (const [reason, count] of Object.entries(state.refusedDials ?? {}))
          m.refusedDials.inc({ engine, reason }, count);
        applyReachability(state);
        // Every engine gets its series, also one with no torrents.
        for (const g of [m.downloadRate, m.uploadRate, m.downloaded, m.uploaded, m.peers])
          g.set({ engine }, 0);
      }
    }
    if (sample.torrents.ok) {
      for (const t of sample.torrents.torrents) {
        const engine = t.engineId;
        m.torrents.inc({ engine, state: t.state });
        m.downloadRate.inc({ engine }, t.downloadSpeed);
        m.uploadRate.inc({ engine }, t.uploadSpeed);
        m.downloaded.inc({ engine }, t.downloaded);
        m.uploaded.inc({ engine }, t.uploaded);
        m.peers.inc({ engine }, t.peers);
      }
    }
    if (sample.xmpp.ok) {
      m.xmppOnline.set(sample.xmpp.online ? 1 : 0);
      m.xmppContacts.set(sample.xmpp.contacts);
      // Reset only when the gateway answers: a label-less counter cannot be left out, and a 0
      // while it does not answer would read as a restart followed by a burst.
      for (const [counter, total] of [
        [m.xmppDroppedEntries, sample.xmpp.droppedEntries],
        [m.xmppRefusedSignalling, sample.xmpp.droppedSignalling],
      ] as const) {
        counter.reset();
        if (total !== undefined) counter.inc(total);
      }
    }
  }

  return { registry, metrics: m, apply };
}

/**
 * `GET /metrics` (Prometheus text format) and the HTTP metrics of every route. Registered
 * without encapsulation so its hook sees every request of the app. Concurrent scrapes share
 * one round of NATS requests.
 */
const metricsPlugin: FastifyPluginCallback<MetricsOptions> = (app, opts, done) => {
  const { registry, metrics, apply } = createMetrics();

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: unknown URLs must not grow the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  let inflight: Promise<void> | undefined;
  const refresh = () =>
    (inflight ??= (async () => {
      const started = performance.now();
      const sample = await opts.daemon.sample();
      apply(sample, (performance.now() - started) / 1000);
    })().finally(() => (inflight = undefined)));

  app.get('/metrics', async (_request, reply) => {
    await refresh();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  done();
};
Object.assign(metricsPlugin, { [Symbol.for('skip-override')]: true });

export default metricsPlugin;
