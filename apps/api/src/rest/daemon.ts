import { BusError, type EngineSettings } from '@bitween/messages';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { HttpProblem, problemOfBusError, problemResponses } from '../problem.js';
import type { EventLog } from '../events/event-log.js';
import type { NatsState } from '../health/nats-state.js';
import type { FriendService } from '../services/friends.js';
import type { TorrentService } from '../services/torrents.js';
import { EngineSettingsSchema, SettingsPatch, StatusSchema } from './schemas.js';

/** The settings bucket as the api uses it (`SettingsStore` from libs/messages). */
export interface Settings {
  engine(): Promise<EngineSettings>;
  updateEngine(patch: Partial<EngineSettings>): Promise<EngineSettings>;
}

export interface DaemonDeps {
  settings: Settings;
  torrents: TorrentService;
  friends: FriendService;
  events: EventLog;
  version: string;
  natsState: () => NatsState;
}

async function kv<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BusError) throw problemOfBusError(err);
    throw new HttpProblem(503, 'unavailable', `service unavailable: ${what}: ${(err as Error).message}`);
  }
}

/** `/v1/settings` (engine settings in the KV bucket) and `/v1/status` (the whole daemon). */
export const daemonRoutes =
  ({ settings, torrents, friends, events, version, natsState }: DaemonDeps): FastifyPluginAsync =>
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
      async () => kv('settings bucket', () => settings.engine()),
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
      async (request) => kv('settings bucket', () => settings.updateEngine(request.body)),
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
          nats: natsState(),
          xmpp: xmpp.ok ? xmpp.value : { error: xmpp.error.message },
          engines: engines.ok
            ? engines.list.map(({ state }) => ({
                engineId: state.engineId,
                version: state.version,
                endpoints: state.endpoints,
                torrents: state.torrents.length,
                reachability: state.reachability ?? null,
                portMapping: state.portMapping ?? null,
                connections: state.connections ?? null,
                admission: state.admission ?? null,
              }))
            : { error: engines.error },
          torrents: { total: engines.ok ? engines.list.reduce((n, e) => n + e.state.torrents.length, 0) : 0 },
          events: position ? { firstId: position.firstId, lastId: position.lastId } : null,
        };
      },
    );
  };
