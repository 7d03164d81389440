import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Core } from '../core/index.js';
import { problemResponses } from '../problem.js';
import { EngineSettingsSchema, SettingsPatch, StatusSchema } from './schemas.js';
import { publicEngineSettings, publicEngineSummary } from './to-public.js';

export type DaemonDeps = Pick<Core, 'settings' | 'torrents' | 'friends' | 'events' | 'daemon'> & {
  version: string;
};

/** `/v1/settings` (engine settings in the KV bucket) and `/v1/status` (the whole daemon). */
export const daemonRoutes =
  ({ settings, torrents, friends, events, daemon, version }: DaemonDeps): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/settings',
      {
        schema: {
          tags: ['daemon'],
          summary: 'Engine settings (applied by every engine)',
          response: { 200: EngineSettingsSchema, ...problemResponses },
        },
      },
      async () => publicEngineSettings(await settings.engine()),
    );

    app.patch(
      '/settings',
      {
        schema: {
          tags: ['daemon'],
          summary: 'Change engine settings (the members named; null = unlimited)',
          body: SettingsPatch,
          response: { 200: EngineSettingsSchema, ...problemResponses },
        },
      },
      async (request) => publicEngineSettings(await settings.update(request.body)),
    );

    app.get(
      '/status',
      {
        schema: {
          tags: ['daemon'],
          summary: 'Daemon status: version, NATS, XMPP login, engines (with their reachability), event ids',
          response: { 200: StatusSchema, ...problemResponses },
        },
      },
      async (): Promise<z.output<typeof StatusSchema>> => {
        const [xmpp, engines, position] = await Promise.all([
          friends.status(),
          torrents.engines().then(
            (list) => ({ ok: true as const, list }),
            (err: unknown) => ({ ok: false as const, error: (err as Error).message }),
          ),
          events.position(undefined).catch(() => null),
        ]);
        return {
          version,
          node: process.version,
          nats: daemon.natsState(),
          xmpp: xmpp.ok ? xmpp.value : { error: xmpp.error.message },
          engines: engines.ok
            ? engines.list.map(({ state }) => publicEngineSummary(state))
            : { error: engines.error },
          torrents: { total: engines.ok ? engines.list.reduce((n, e) => n + e.state.torrents.length, 0) : 0 },
          events: position ? { firstId: position.firstId, lastId: position.lastId } : null,
        };
      },
    );
  };
