import { serviceNames } from '@bitween/messages';
import type { Registry } from './registry.js';

/** What every `$SRV` answer of a NATS micro service says of the service. */
interface ServiceIdentity {
  name: string;
  metadata?: Record<string, string>;
}

/**
 * The answers of a `$SRV.INFO|STATS` discovery (started with a deadline: the `timer` strategy).
 * It goes on until the gateway and every engine of `engineIds` (the registry's live ones)
 * answered — not until a moment of silence: on a busy machine two services' answers can be far
 * apart — and then `graceMs` longer for services the registry does not name (none answering in
 * that time ends it); at the deadline, what came (one of them is down).
 */
export async function untilAllAnswered<T extends ServiceIdentity>(
  answers: AsyncIterable<T>,
  engineIds: Iterable<string>,
  graceMs = 200,
): Promise<T[]> {
  const waiting = new Set(engineIds);
  let gateway = false;
  const out: T[] = [];
  const it = answers[Symbol.asyncIterator]();
  for (;;) {
    const next = it.next();
    let result: IteratorResult<T> | 'grace over';
    if (gateway && waiting.size === 0) {
      let timer: NodeJS.Timeout | undefined;
      const over = new Promise<'grace over'>(
        (resolve) => (timer = setTimeout(resolve, graceMs, 'grace over')),
      );
      try {
        result = await Promise.race([next, over]);
      } finally {
        clearTimeout(timer);
      }
      if (result === 'grace over') {
        // Left to the discovery's deadline, which ends it; nobody waits for it any more.
        next.catch(() => undefined);
        break;
      }
    } else {
      result = await next;
    }
    if (result.done) break;
    const answer = result.value;
    out.push(answer);
    if (answer.name === serviceNames.gateway) gateway = true;
    else if (answer.name === serviceNames.engine) waiting.delete(answer.metadata?.['engineId'] ?? '');
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
