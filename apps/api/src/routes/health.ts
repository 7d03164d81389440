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
  status: 'ok' | 'degraded';
  nats: 'connected' | 'closed';
  xmpp: { online: boolean; jid: string } | { error: string };
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
 * and at least one engine is live, else 503 `degraded` with what is missing.
 */
const health: FastifyPluginCallback<HealthOptions> = (app, { bus, registry, timeoutMs }, done) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['daemon'],
        summary: 'Liveness without the key: 200 ok, or 503 degraded (XMPP offline, no engine)',
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
        xmpp: status.ok
          ? { online: status.value.online, jid: status.value.jid }
          : { error: status.error.message },
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
      if (!status.ok || !status.value.online || !engines.ok || engines.list.length === 0)
        report.status = 'degraded';
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );
  done();
};

export default health;
