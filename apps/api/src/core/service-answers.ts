import { serviceNames } from '@bitween/messages';
import type { Registry } from './registry.js';

/** What every `$SRV` answer of a NATS micro service says of the service. */
interface ServiceIdentity {
  name: string;
  metadata?: Record<string, string>;
}

/**
 * The answers of a `$SRV.INFO|STATS` discovery (started with a deadline: the `timer` strategy),
 * until the gateway and every engine of `engineIds` (the registry's live ones) answered — then at
 * once, not after a moment of silence: on a busy machine two services' answers can be far apart —
 * or until the deadline (one of them is down or not there yet: then what came).
 */
export async function untilAllAnswered<T extends ServiceIdentity>(
  answers: AsyncIterable<T>,
  engineIds: Iterable<string>,
): Promise<T[]> {
  const waiting = new Set(engineIds);
  let gateway = false;
  const out: T[] = [];
  for await (const answer of answers) {
    out.push(answer);
    if (answer.name === serviceNames.gateway) gateway = true;
    else if (answer.name === serviceNames.engine) waiting.delete(answer.metadata?.['engineId'] ?? '');
    if (gateway && waiting.size === 0) break;
  }
  return out;
}

/** The engine ids of the registry's live engines (none when the registry cannot be read). */
export function liveEngineIds(registry: Pick<Registry, 'live'>): Promise<string[]> {
  return registry.live().then(
    (live) => live.map((e) => e.state.engineId),
    () => [],
  );
}
