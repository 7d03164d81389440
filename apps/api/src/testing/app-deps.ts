import type { Bus } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import type { AppDeps } from '../app.js';
import type { ApiConfig } from '../config.js';
import type { EventLog } from '../core/event-log.js';
import { createCore, type CoreDeps } from '../core/index.js';

/** What the real-NATS tests hold: the NATS side of `main` (bus, registry, stores) and the app's settings. */
export interface NatsAppDeps {
  bus: Bus;
  registry: CoreDeps['registry'];
  settings: CoreDeps['settings'];
  events: EventLog;
  log: Logger;
  config: ApiConfig;
  version: string;
  apiKey: string;
}

/** `buildApp`'s deps with the real core over NATS, wired as `main` wires it. */
export function overNats(deps: NatsAppDeps): AppDeps {
  const { bus, registry, settings, events, log, config, version, apiKey } = deps;
  const core = createCore({
    bus,
    registry,
    settings,
    events,
    log,
    timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS,
    addPathTimeoutMs: config.BITWEEN_ADD_PATH_TIMEOUT_MS,
    cacheMs: config.BITWEEN_API_CACHE_MS,
  });
  return { core, log, config, version, apiKey };
}
