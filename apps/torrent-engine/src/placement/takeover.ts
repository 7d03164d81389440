import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { EngineId } from '@bitween/messages';
import type { EngineRegistry, Logger, TorrentClaims } from '@bitween/bus';
import type { TorrentEngine } from '../engine.js';
import { StateStore } from '../state-store.js';

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

/**
 * When an engine stops sending heartbeats, the others take its torrents over from its state
 * folder on the shared volume: for each torrent, the preferred survivor claims it at once, the
 * others after `graceMs` (in case the preferred one died too); the claim (compare-and-swap in
 * KV) lets exactly one win. The winner saves the torrent in its own state, runs it (the data is
 * verified where it lies) and removes it from the dead engine's folder.
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
        for (const { record, torrentFile } of await store.load()) {
          if (this.#stopped) return;
          seen.add(record.hash);
          await this.#takeOne(from, store, record.hash, live, () =>
            this.opts.engine.adopt(record, torrentFile, from),
          );
        }
      }
      for (const hash of this.#orphanSince.keys()) if (!seen.has(hash)) this.#orphanSince.delete(hash);
    } catch (err) {
      log.warn({ err }, 'could not look for torrents of stopped engines (will retry)');
    }
  }

  async #takeOne(
    from: string,
    store: StateStore,
    hash: string,
    live: Set<string>,
    adopt: () => Promise<void>,
  ): Promise<void> {
    const now = Date.now();
    const since = this.#orphanSince.get(hash) ?? now;
    this.#orphanSince.set(hash, since);
    if (this.opts.engine.has(hash)) return;
    const preferred = preferredEngine(hash, live) === this.opts.engineId;
    if (!preferred && now - since < this.opts.graceMs) return;
    const result = await this.opts.claims.claim(hash, (id) => live.has(id));
    if (result.won) {
      await adopt();
      await store.remove(hash);
      this.#orphanSince.delete(hash);
    } else if (result.owner !== from && live.has(result.owner)) {
      // A survivor took it but could not tidy up (it died in between): the record is stale.
      await store.remove(hash);
      this.#orphanSince.delete(hash);
    }
  }
}
