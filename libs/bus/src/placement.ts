import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { buckets, decode, encodeJson, EngineId, type EngineEntry, type EngineState } from '@bitween/messages';
import type { Logger } from './bus.js';
import type { HeldTorrent } from './engine-torrents.js';
import { isAlive, type EngineRegistry } from './registry.js';

/** A compare-and-swap write lost: someone else wrote the key since we last read it. */
export function isCasConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** Slots an engine without a fixed id picks from: `engine-1` … `engine-<MAX_SLOTS>`. */
export const MAX_SLOTS = 64;
export const slotId = (n: number) => `engine-${n}`;
export function slotOf(engineId: string): number | null {
  const m = /^engine-([1-9]\d{0,2})$/.exec(engineId);
  return m ? Number(m[1]) : null;
}

/**
 * An engine's key in the engines registry bucket, held as a lease: taken with an atomic
 * create (or a compare-and-swap over an entry whose heartbeats stopped), then written only
 * with compare-and-swap. A write that finds the key changed means another process took the id
 * (we were presumed dead): `lost` is reported and the holder must stop.
 */
export class EngineLease {
  #revision: number;
  #lost = false;
  /** Values written without an answer (timeouts) since the last answered write: any may have been stored. */
  #unsure: Uint8Array[] = [];

  private constructor(
    private readonly registry: EngineRegistry,
    readonly engineId: string,
    revision: number,
    private readonly onLost: (engineId: string) => void,
  ) {
    this.#revision = revision;
  }

  /**
   * Take `fixedId` (always: a fixed id is the operator's promise that it is ours, e.g. our own
   * previous run that was killed), or else the lowest slot `engine-N` that is free or whose
   * holder stopped sending heartbeats.
   */
  static async acquire(opts: {
    registry: EngineRegistry;
    fixedId: string | undefined;
    initial: (engineId: string) => EngineState;
    log: Logger;
    onLost: (engineId: string) => void;
    now?: () => number;
  }): Promise<EngineLease> {
    const { registry, log } = opts;
    const kv = registry.kv;
    const candidates = opts.fixedId
      ? [opts.fixedId]
      : Array.from({ length: MAX_SLOTS }, (_, i) => slotId(i + 1));
    for (const id of candidates) {
      const value = registry.entryOf(opts.initial(id));
      try {
        const entry = await kv.get(id);
        if (!entry || entry.operation !== 'PUT') {
          return new EngineLease(registry, id, await kv.create(id, value), opts.onLost);
        }
        const held = registry.parse(entry);
        const alive = held !== null && isAlive(held, (opts.now ?? Date.now)());
        if (alive && !opts.fixedId) continue;
        if (alive) log.warn({ engineId: id }, 'taking over an engine id whose holder still looks alive');
        return new EngineLease(registry, id, await kv.update(id, value, entry.revision), opts.onLost);
      } catch (err) {
        if (isCasConflict(err) && !opts.fixedId) continue; // another instance took it a moment ago
        throw err;
      }
    }
    throw new Error(`no free engine slot among engine-1 … engine-${MAX_SLOTS}`);
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Same signature as `EngineRegistry.announce`, but fenced by the lease. */
  async announce(state: EngineState): Promise<void> {
    if (this.#lost) return;
    const { torrents, ...rest } = state;
    await this.syncTorrents(torrents);
    await this.beat({ ...rest, torrentCount: torrents.length });
  }

  /** Our torrents' keys (`EngineRegistry.syncTorrents`), unless the id was lost. */
  async syncTorrents(torrents: EngineState['torrents']): Promise<void> {
    if (this.#lost) return;
    await this.registry.syncTorrents(this.engineId, torrents);
  }

  /** The keys of the torrents that changed (`EngineRegistry.updateTorrents`), unless the id was lost. */
  async updateTorrents(changes: ReadonlyMap<string, HeldTorrent | null>): Promise<void> {
    if (this.#lost) return;
    await this.registry.updateTorrents(this.engineId, changes);
  }

  /** Our entry alone (liveness, endpoints, counters; the torrents only counted), fenced by the lease. */
  async beat(entry: EngineEntry): Promise<void> {
    if (this.#lost) return;
    const value = this.registry.encodeEntry(entry);
    try {
      this.#revision = await this.registry.kv.update(this.engineId, value, this.#revision);
      this.#unsure = [];
    } catch (err) {
      if (!isCasConflict(err)) {
        this.#unsure = [...this.#unsure.slice(-15), value];
        throw err;
      }
      if (await this.#landed()) return this.beat(entry);
      this.#lost = true;
      this.onLost(this.engineId);
    }
  }

  /**
   * After writes whose answers we missed (timeouts: e.g. our event loop was busy for longer than
   * the request's timeout) the server may have stored one, so our revision is behind: if the key
   * holds exactly one of them, it is still ours, at its new revision.
   */
  async #landed(): Promise<boolean> {
    const unsure = this.#unsure;
    this.#unsure = [];
    if (unsure.length === 0) return false;
    const current = await this.registry.kv.get(this.engineId);
    if (!current || current.operation !== 'PUT') return false;
    const stored = Buffer.from(current.value);
    if (!unsure.some((value) => stored.equals(value))) return false;
    this.#revision = current.revision;
    return true;
  }

  async withdraw(): Promise<void> {
    if (this.#lost) return;
    await this.registry.kv.delete(this.engineId, { previousSeq: this.#revision }).catch((err: unknown) => {
      if (!isCasConflict(err)) throw err;
    });
  }
}

/** Who runs a torrent: the value of its info-hash in the `bitween_torrent_owners` bucket. */
export const TorrentClaim = z.object({
  engineId: EngineId,
  /** One per engine process: a restarted engine re-asserts its claims with a new incarnation. */
  incarnation: z.string().min(1),
  claimedAt: z.number().int(),
});
export type TorrentClaim = z.infer<typeof TorrentClaim>;

export type ClaimResult = { won: true } | { won: false; owner: string };

/**
 * One claim per info-hash, so a torrent runs on exactly one engine: created atomically by the
 * engine that adds it; taken over (compare-and-swap) only from an engine that is not alive;
 * re-asserted by its own engine after a restart. Exactly one of several concurrent claimers wins.
 */
export class TorrentClaims {
  private constructor(
    readonly kv: KV,
    readonly engineId: string,
    readonly incarnation: string,
    private readonly log: Logger,
  ) {}

  static async open(
    nc: NatsConnection,
    me: { engineId: string; incarnation: string },
    log: Logger,
  ): Promise<TorrentClaims> {
    const kv = await new Kvm(nc).create(buckets.torrentOwners, { history: 1 });
    return new TorrentClaims(kv, me.engineId, me.incarnation, log);
  }

  #value(): Uint8Array {
    return encodeJson({ engineId: this.engineId, incarnation: this.incarnation, claimedAt: Date.now() });
  }

  isMine(claim: TorrentClaim | null): boolean {
    return claim !== null && claim.engineId === this.engineId && claim.incarnation === this.incarnation;
  }

  async get(hash: string): Promise<{ claim: TorrentClaim | null; revision: number } | null> {
    const entry = await this.kv.get(hash);
    if (!entry || entry.operation !== 'PUT') return null;
    const decoded = decode(TorrentClaim, entry.value);
    if (!decoded.ok) this.log.warn({ hash }, 'ignored an unreadable torrent claim');
    return { claim: decoded.ok ? decoded.value : null, revision: entry.revision };
  }

  /**
   * Claim `hash` for this engine. An existing claim is taken over only when it is ours (an
   * earlier run of this engine id) or its engine is not alive (`isAlive`).
   */
  async claim(hash: string, isAlive: (engineId: string) => boolean): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.get(hash);
      try {
        if (!current) {
          await this.kv.create(hash, this.#value());
          return { won: true };
        }
        const owner = current.claim?.engineId;
        if (this.isMine(current.claim)) return { won: true };
        if (owner !== undefined && owner !== this.engineId && isAlive(owner)) return { won: false, owner };
        await this.kv.update(hash, this.#value(), current.revision);
        return { won: true };
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        // Somebody wrote the claim between our read and write: read again and decide again.
      }
    }
    const final = await this.get(hash);
    if (this.isMine(final?.claim ?? null)) return { won: true };
    return { won: false, owner: final?.claim?.engineId ?? 'unknown' };
  }

  /** Give a torrent up (removed by the user): delete the claim if it is still ours. */
  async release(hash: string): Promise<void> {
    const current = await this.get(hash);
    if (!current || !this.isMine(current.claim)) return;
    await this.kv.delete(hash, { previousSeq: current.revision }).catch((err: unknown) => {
      if (!isCasConflict(err)) throw err;
    });
  }

  /**
   * Follow changes to claims: `onTaken(hash, owner)` when a claim now names another engine or
   * incarnation (another engine took one of ours while we looked dead). A watch that ends is
   * started again. Returns `stop`.
   */
  async watch(onTaken: (hash: string, owner: TorrentClaim) => void): Promise<() => void> {
    let stopped = false;
    const open = () => this.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    let current = await open();
    const handle = (e: KvWatchEntry) => {
      if (e.operation !== 'PUT') return;
      const decoded = decode(TorrentClaim, e.value);
      if (decoded.ok && !this.isMine(decoded.value)) onTaken(e.key, decoded.value);
    };
    void (async () => {
      while (!stopped) {
        try {
          for await (const e of current) handle(e);
        } catch (err) {
          this.log.warn({ err }, 'torrent claims watch failed');
        }
        if (stopped) break;
        await new Promise((r) => setTimeout(r, 1000));
        try {
          if (!stopped) current = await open();
        } catch (err) {
          this.log.warn({ err }, 'could not watch the torrent claims');
        }
      }
    })();
    return () => {
      stopped = true;
      current.stop();
    };
  }
}
