import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { EngineId } from '@bitween/messages';
import type { EngineRegistry, Logger, TorrentClaims } from '@bitween/bus';
import type { TorrentEngine } from '../engine.js';
import { inParallel } from '../durable/in-parallel.js';
import { StateStore, type StoredTorrent } from '../state-store.js';

/** Which live engine should take `hash` first (rendezvous hashing: spreads torrents evenly). */
export function preferredEngine(hash: string, live: Iterable<string>): string | undefined {
  let best: { id: string; score: string } | undefined;
  for (const id of live) {
    const score = createHash('sha1').update(`${hash}/${id}`).digest('hex');
    if (!best || score > best.score) best = { id, score };
  }
  return best?.id;
}

export interface TakeoverOptions {
  /** The shared state dir: one folder per engine id. */
  stateDir: string;
  engineId: string;
  registry: Pick<EngineRegistry, 'live'>;
  claims: Pick<TorrentClaims, 'claim' | 'get' | 'isMine'>;
  engine: Pick<TorrentEngine, 'has' | 'adopt'>;
  log: Logger;
  /** How often to look for engines that stopped sending heartbeats. */
  intervalMs: number;
  /** How long the other survivors leave an orphan to its preferred engine before trying themselves. */
  graceMs: number;
}

/** Torrents claimed and adopted together (one durable write of their records per batch). */
export const TAKEOVER_BATCH = 256;
/** Claims (KV get + compare-and-swap) in flight at once. */
const CLAIMS_IN_FLIGHT = 32;

/**
 * When an engine stops sending heartbeats, the others take its torrents over from its state
 * folder on the shared volume: for each torrent, the preferred survivor claims it at once, the
 * others after `graceMs` (in case the preferred one died too); the claim (compare-and-swap in
 * KV) lets exactly one win. The winner saves the torrent in its own state, runs it (the data is
 * verified where it lies) and removes it from the dead engine's folder. Torrents are taken in
 * batches of `TAKEOVER_BATCH`: their claims in parallel, then one adoption of those won.
 */
export class Takeover {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  readonly #orphanSince = new Map<string, number>();

  constructor(private readonly opts: TakeoverOptions) {}

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  tick(): Promise<void> {
    this.#running ??= this.#tick().finally(() => (this.#running = null));
    return this.#running;
  }

  async #tick(): Promise<void> {
    const { log, engineId } = this.opts;
    try {
      const live = new Set((await this.opts.registry.live()).map((e) => e.state.engineId));
      // Not registered (not yet, or our heartbeats lapsed): others may be taking ours right now.
      if (!live.has(engineId)) return;
      const dead = (await readdir(this.opts.stateDir, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory() && d.name !== engineId && EngineId.safeParse(d.name).success)
        .map((d) => d.name)
        .filter((id) => !live.has(id));
      const seen = new Set<string>();
      for (const from of dead) {
        const store = new StateStore(path.join(this.opts.stateDir, from), log);
        const now = Date.now();
        const due: StoredTorrent[] = [];
        for (const stored of await store.load()) {
          const hash = stored.record.hash;
          seen.add(hash);
          const since = this.#orphanSince.get(hash) ?? now;
          this.#orphanSince.set(hash, since);
          if (this.opts.engine.has(hash)) continue;
          const preferred = preferredEngine(hash, live) === engineId;
          if (preferred || now - since >= this.opts.graceMs) due.push(stored);
        }
        for (let i = 0; i < due.length; i += TAKEOVER_BATCH) {
          if (this.#stopped) return;
          await this.#takeBatch(from, store, due.slice(i, i + TAKEOVER_BATCH), live);
        }
      }
      for (const hash of this.#orphanSince.keys()) if (!seen.has(hash)) this.#orphanSince.delete(hash);
    } catch (err) {
      log.warn({ err }, 'could not look for torrents of stopped engines (will retry)');
    }
  }

  /** Claim a batch (in parallel), adopt the torrents won, tidy the dead engine's folder. */
  async #takeBatch(
    from: string,
    store: StateStore,
    batch: StoredTorrent[],
    live: Set<string>,
  ): Promise<void> {
    const results = await inParallel(batch, CLAIMS_IN_FLIGHT, ({ record }) =>
      this.opts.claims
        .claim(record.hash, (id) => live.has(id))
        .catch((err: unknown) => ({ failed: err }) as const),
    );
    const won: StoredTorrent[] = [];
    // Taken by a survivor that could not tidy up (it died in between): the records are stale.
    const stale: string[] = [];
    let failure: Error | undefined;
    for (const [i, result] of results.entries()) {
      const { hash } = batch[i]!.record;
      if ('failed' in result)
        failure ??= result.failed instanceof Error ? result.failed : new Error(String(result.failed));
      else if (result.won) won.push(batch[i]!);
      else if (result.owner !== from && live.has(result.owner)) stale.push(hash);
    }
    // Claims won but not adopted (a failure below) are ours: the next tick claims them again.
    if (won.length > 0) await this.opts.engine.adopt(won, from);
    const done = [...won.map((t) => t.record.hash), ...stale];
    await store.removeAll(done);
    for (const hash of done) this.#orphanSince.delete(hash);
    if (failure) throw failure;
  }
}
