import { xmpp, type TorrentStatus } from '@bitween/messages';
import type { Bus, RegisteredEngine } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import { Svcm, type ServiceStats } from '@nats-io/services';
import { listTorrents } from './cache/list-torrents.js';
import type { Registry } from './registry.js';
import { liveEngineIds, untilAllAnswered } from './service-answers.js';

/** What one scrape learns over NATS; each source may fail on its own (its error is kept). */
export interface ClusterSample {
  services: { ok: true; stats: ServiceStats[] } | { ok: false; error: string };
  engines: { ok: true; engines: RegisteredEngine[] } | { ok: false; error: string };
  torrents: { ok: true; torrents: TorrentStatus[]; failedEngines: string[] } | { ok: false; error: string };
  xmpp:
    | {
        ok: true;
        online: boolean;
        contacts: number;
        /** Counters since the gateway started; absent from older gateways. */
        droppedEntries?: number | undefined;
        droppedSignalling?: number | undefined;
      }
    | { ok: false; error: string };
}

export interface CollectDeps {
  bus: Bus;
  registry: Registry;
  log: Logger;
  timeoutMs: number;
  /** How long to gather `$SRV.STATS` answers at most (see service-answers.ts); default 2 s. */
  discovery?: { maxWaitMs: number };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Every NATS micro service's `$SRV.STATS` (engines, gateway: one answer per instance). */
async function serviceStats(deps: CollectDeps): Promise<ServiceStats[]> {
  const { maxWaitMs } = deps.discovery ?? { maxWaitMs: 2000 };
  const out: ServiceStats[] = [];
  try {
    const engineIds = await liveEngineIds(deps.registry);
    const answers = await new Svcm(deps.bus.nc).client({ strategy: 'timer', maxWait: maxWaitMs }).stats();
    out.push(...(await untilAllAnswered(answers, engineIds)));
  } catch (err) {
    // No responders: no service runs, which is an answer (zero instances), not a failure.
    deps.log.debug({ err }, 'service stats: gathering ended early');
  }
  return out;
}

/** Ask every source at once; never throws. */
export async function collectCluster(deps: CollectDeps): Promise<ClusterSample> {
  const [services, snapshot, status] = await Promise.all([
    serviceStats(deps).then(
      (stats) => ({ ok: true as const, stats }),
      (err: unknown) => ({ ok: false as const, error: message(err) }),
    ),
    listTorrents(deps, deps.timeoutMs).then(
      (s) => ({ ok: true as const, ...s }),
      (err: unknown) => ({ ok: false as const, error: message(err) }),
    ),
    deps.bus.request(xmpp.status, {}, { timeoutMs: deps.timeoutMs }),
  ]);
  return {
    services,
    engines: snapshot.ok ? { ok: true, engines: snapshot.engines } : snapshot,
    torrents: snapshot.ok
      ? { ok: true, torrents: snapshot.torrents, failedEngines: snapshot.failed.map((f) => f.engineId) }
      : snapshot,
    xmpp: status.ok
      ? {
          ok: true,
          online: status.value.online,
          contacts: status.value.contacts,
          droppedEntries: status.value.droppedEntries,
          droppedSignalling: status.value.droppedSignalling,
        }
      : { ok: false, error: status.error.message },
  };
}
