import { xmpp } from '@bitween/messages';
import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from '../rpc/method.js';
import type { Bus } from '@bitween/messages';

export interface HealthOptions {
  bus: Bus;
  registry: Registry;
  timeoutMs: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unconfigured';
  nats: 'connected' | 'closed';
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

/**
 * `GET /health` (no token needed): asks the gateway for its status and reads the live engines
 * from the registry, both over NATS. 200 `ok` when the gateway answers and is logged in to XMPP
 * and at least one engine is live, else 503 `degraded` with what is missing. A first run without
 * an XMPP account is 200 `unconfigured` (when the rest is up): the daemon works and waits for the
 * user (web UI onboarding), so a container healthcheck must not restart it.
 */
const health: FastifyPluginCallback<HealthOptions> = (app, { bus, registry, timeoutMs }, done) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['daemon'],
        summary:
          'Liveness without the key: 200 ok, 200 unconfigured (no XMPP account yet), or 503 degraded (XMPP offline, no engine)',
        security: [],
      },
    },
    async (_request, reply) => {
      const [status, engines] = await Promise.all([
        bus.request(xmpp.status, {}, { timeoutMs }),
        registry.live().then(
          (list) => ({ ok: true as const, list }),
          (err: unknown) => ({ ok: false as const, error: (err as Error).message }),
        ),
      ]);
      const report: HealthReport = {
        status: 'ok',
        nats: bus.nc.isClosed() ? 'closed' : 'connected',
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
