import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import type { Daemon } from '../core/daemon.js';
import { NatsStateSchema, type NatsState } from '../core/nats-state.js';

export interface HealthOptions {
  daemon: Pick<Daemon, 'gateway' | 'engines' | 'probeNats'>;
  timeoutMs: number;
}

/** A PING to NATS answered within this is "connected" (a health probe must answer quickly). */
export const NATS_PROBE_MS = 2000;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unconfigured';
  nats: NatsState;
  xmpp: { online: boolean; jid: string; configured?: false } | { error: string };
  engines:
    | {
        engineId: string;
        version: string;
        endpoints: { address: string; port: number }[];
        torrents: number;
      }[]
    | { error: string };
}

const Live = z.object({ status: z.literal('live') });
const Ready = z.object({
  status: z.enum(['ready', 'not-ready']),
  nats: z.object({
    state: NatsStateSchema,
    rttMs: z.number().optional(),
  }),
  gateway: z.enum(['reachable', 'unreachable', 'unknown']),
  engines: z.number().int().describe('live engines (0 while unknown)'),
  reasons: z.array(z.string()).describe('why not ready (empty when ready)'),
});
type Ready = z.infer<typeof Ready>;

/**
 * Health without the key, three views of it:
 * - `GET /health/live`: 200 while the process serves HTTP (a liveness probe: restart when it fails).
 * - `GET /health/ready`: 200 when NATS really answers (status events and a PING round-trip) and the
 *   gateway and at least one engine are reachable over it; else 503 with the reasons. XMPP being
 *   offline does not make the api unready: it serves, and says so in /health and /v1/status.
 * - `GET /health`: the original report, kept as it was (200 ok, 200 unconfigured on a first run
 *   without an XMPP account, 503 degraded), with `nats` now the real state of the connection:
 *   `connected` only after a PING round-trip, else `disconnected` or `closed` (and 503).
 */
const health: FastifyPluginCallback<HealthOptions> = (app, { daemon, timeoutMs }, done) => {
  const probeMs = Math.min(timeoutMs, NATS_PROBE_MS);

  /** The gateway's status and the live engines, asked only when NATS is up (else they would wait). */
  const peers = () =>
    Promise.all([
      daemon.gateway(timeoutMs),
      daemon.engines().then(
        (list) => ({ ok: true as const, list }),
        (err: unknown) => ({ ok: false as const, error: (err as Error).message }),
      ),
    ]);

  app.get(
    '/health/live',
    {
      config: { public: true },
      schema: {
        tags: ['daemon'],
        summary: 'Liveness without the key: 200 while the api process serves HTTP',
        security: [],
        response: { 200: Live },
      },
    },
    () => ({ status: 'live' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { public: true },
      schema: {
        tags: ['daemon'],
        summary:
          'Readiness without the key: 200 when NATS answers and the gateway and an engine are reachable, else 503 with the reasons',
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const probe = await daemon.probeNats(probeMs);
      const report: Ready = {
        status: 'ready',
        nats: { state: probe.state, ...(probe.rttMs === undefined ? {} : { rttMs: probe.rttMs }) },
        gateway: 'unknown',
        engines: 0,
        reasons: [],
      };
      if (probe.state !== 'connected') {
        report.reasons.push(probe.reason ?? `NATS ${probe.state}`);
      } else {
        const [status, engines] = await peers();
        report.gateway = status.ok ? 'reachable' : 'unreachable';
        if (!status.ok) report.reasons.push(`the XMPP gateway does not answer: ${status.error.message}`);
        if (!engines.ok) report.reasons.push(`the engine registry cannot be read: ${engines.error}`);
        else {
          report.engines = engines.list.length;
          if (engines.list.length === 0) report.reasons.push('no torrent engine is live');
        }
      }
      if (report.reasons.length > 0) report.status = 'not-ready';
      return reply.code(report.status === 'ready' ? 200 : 503).send(report);
    },
  );

  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['daemon'],
        summary:
          'The combined report without the key: 200 ok, 200 unconfigured (no XMPP account yet), or 503 degraded (NATS down, XMPP offline, no engine)',
        security: [],
      },
    },
    async (_request, reply) => {
      const probe = await daemon.probeNats(probeMs);
      if (probe.state !== 'connected') {
        const error = probe.reason ?? `NATS ${probe.state}`;
        const report: HealthReport = {
          status: 'degraded',
          nats: probe.state,
          xmpp: { error },
          engines: { error },
        };
        return reply.code(503).send(report);
      }
      const [status, engines] = await peers();
      const report: HealthReport = {
        status: 'ok',
        nats: 'connected',
        xmpp: !status.ok
          ? { error: status.error.message }
          : status.value.configured === false
            ? { online: false, jid: '', configured: false }
            : { online: status.value.online, jid: status.value.jid },
        engines: engines.ok
          ? engines.list.map(({ state }) => ({
              engineId: state.engineId,
              version: state.version,
              endpoints: state.endpoints,
              torrents: state.torrents.length,
            }))
          : { error: engines.error },
      };
      // Not logged in to XMPP: friends neither see our list nor reach us, so not "ok".
      const unconfigured = status.ok && status.value.configured === false;
      if (!status.ok || (!status.value.online && !unconfigured) || !engines.ok || engines.list.length === 0)
        report.status = 'degraded';
      else if (unconfigured) report.status = 'unconfigured';
      return reply.code(report.status === 'degraded' ? 503 : 200).send(report);
    },
  );
  done();
};

export default health;
