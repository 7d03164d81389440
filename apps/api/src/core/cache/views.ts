import { engine, xmpp, type ContactShares } from '@bitween/messages';
import { fetchAllShares, type Bus, type EngineRegistry, type Subscription } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import { listTorrents, type TorrentsSnapshot } from './list-torrents.js';

/**
 * Read caches of what the other services hold, so that a listing does not cost a round of NATS
 * requests (and their JSON) per HTTP request. Nothing durable lives here: a view is rebuilt
 * from NATS whenever it is unsure, and an api restart starts empty.
 *
 * Freshness: a view is dropped when something tells it the set changed (the engines registry
 * watch, torrent added/removed events, contact events, or a mutation through this api) and is
 * fetched again by the next reader, who waits for a fetch started after the change (a client
 * reads its own writes). Progress events are merged in place. As a backstop, a view older than
 * `maxAgeMs` is served once more while a fresh copy is fetched in the background.
 */
abstract class View<T> {
  #value: T | null = null;
  #fetchedAt = 0;
  /** Bumped by every invalidation: a fetch counts only if no invalidation happened meanwhile. */
  #generation = 0;
  #valid = false;
  #inflight: { generation: number; promise: Promise<T> } | null = null;
  #started: Promise<void> | null = null;
  /** Bumped on every change of the value: memoised derivations key on it. */
  version = 0;
  readonly #memo = new Map<string, { source: unknown; version: number; value: unknown }>();

  constructor(
    protected readonly log: Logger,
    private readonly maxAgeMs: number,
  ) {}

  protected abstract fetch(): Promise<{ value: T; complete: boolean }>;
  protected abstract follow(): Promise<void>;
  abstract stop(): void;

  /** The current value; fetched when there is none or it was invalidated. */
  async get(): Promise<T> {
    if (this.maxAgeMs === 0) return (await this.fetch()).value;
    this.#started ??= this.follow().catch((err: unknown) => {
      this.#started = null;
      this.log.warn({ err }, 'view: cannot follow changes; serving fresh fetches');
    });
    await this.#started;
    if (this.#valid && this.#value !== null) {
      if (Date.now() - this.#fetchedAt > this.maxAgeMs) {
        this.#refresh().catch((err: unknown) => {
          // The source stopped answering: the next reader asks (and gets the error) itself.
          this.log.debug({ err }, 'view: background refresh failed');
          this.invalidate();
        });
      }
      return this.#value;
    }
    return this.#refresh();
  }

  invalidate(): void {
    this.#generation++;
    this.#valid = false;
  }

  /** `derive(value)` computed once per version of the value. */
  async memo<R>(key: string, derive: (value: T) => R): Promise<R> {
    const value = await this.get();
    const hit = this.#memo.get(key);
    // (A fetch that an event overtook is served once without being kept: `version` stays, so the
    // value itself must be the one derived from.)
    if (hit && hit.source === value && hit.version === this.version && this.maxAgeMs !== 0)
      return hit.value as R;
    const out = derive(value);
    this.#memo.set(key, { source: value, version: this.version, value: out });
    return out;
  }

  protected get current(): T | null {
    return this.#value;
  }

  /** A fetch is under way (its answer may predate an event that arrives meanwhile). */
  protected get fetching(): boolean {
    return this.#inflight !== null;
  }

  /** The value was changed in place (e.g. progress merged). */
  protected changed(): void {
    this.version++;
  }

  #refresh(): Promise<T> {
    const generation = this.#generation;
    if (this.#inflight && this.#inflight.generation === generation) return this.#inflight.promise;
    const promise = this.fetch()
      .then(({ value, complete }) => {
        if (this.#generation === generation) {
          this.#value = value;
          this.#fetchedAt = Date.now();
          // An incomplete answer (an engine did not answer) is served once, never cached.
          this.#valid = complete;
          this.version++;
        }
        return value;
      })
      .finally(() => {
        if (this.#inflight?.promise === promise) this.#inflight = null;
      });
    this.#inflight = { generation, promise };
    return promise;
  }
}

export interface ViewDeps {
  bus: Bus;
  registry: Pick<EngineRegistry, 'live' | 'watch'>;
  log: Logger;
  timeoutMs: number;
  /** 0 disables caching (every read asks NATS). */
  maxAgeMs: number;
}

/** Every torrent of every live engine (`engine.list` of each), kept current by events. */
export class TorrentsView extends View<TorrentsSnapshot> {
  readonly #subs: Subscription[] = [];
  #stopWatch: (() => void) | null = null;
  #index = new Map<string, number>();

  constructor(private readonly deps: ViewDeps) {
    super(deps.log, deps.maxAgeMs);
  }

  protected async fetch() {
    const snapshot = await listTorrents(this.deps, this.deps.timeoutMs);
    this.#index = new Map(snapshot.torrents.map((t, i) => [t.hash, i]));
    return { value: snapshot, complete: snapshot.failed.length === 0 };
  }

  protected async follow(): Promise<void> {
    const { bus } = this.deps;
    this.#subs.push(
      bus.subscribe(engine.progress, (p) => {
        const snapshot = this.current;
        const i = this.#index.get(p.hash);
        const t = i === undefined ? undefined : snapshot?.torrents[i];
        if (!snapshot || !t || t.hash !== p.hash || t.engineId !== p.engineId) return this.invalidate();
        // The metadata arrived (a magnet): its file list, piece count and piece length are not in
        // a progress event, only in a listing — patched in place, the torrent kept `files: []`
        // (Transmission's file-count 0, no -if list) until the listing next expired.
        if (t.size === null && p.size !== null) return this.invalidate();
        snapshot.torrents[i!] = { ...t, ...p };
        this.changed();
      }),
      bus.subscribe(engine.added, () => this.invalidate()),
      bus.subscribe(engine.removed, () => this.invalidate()),
    );
    // An engine's registry entry changes with its set of torrents (and with every heartbeat:
    // those leave the set alone and are ignored).
    this.#stopWatch = await this.deps.registry.watch((engineId, entry) => {
      const snapshot = this.current;
      if (!snapshot) return;
      const cached = snapshot.engines.find((e) => e.state.engineId === engineId);
      if (!entry || !cached) return this.invalidate();
      const before = new Set(cached.state.torrents.map((t) => t.hash));
      const after = entry.state.torrents;
      if (after.length !== before.size || after.some((t) => !before.has(t.hash))) this.invalidate();
    });
  }

  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
    this.#stopWatch?.();
  }
}

/** Every contact's last share list (`xmpp.shares`, all pages), kept current by the gateway's events. */
export class SharesView extends View<ContactShares[]> {
  readonly #subs: Subscription[] = [];

  constructor(private readonly deps: Omit<ViewDeps, 'registry'>) {
    super(deps.log, deps.maxAgeMs);
  }

  protected async fetch() {
    const r = await fetchAllShares(this.deps.bus, { timeoutMs: this.deps.timeoutMs });
    if (!r.ok) throw r.error;
    return { value: r.value, complete: true };
  }

  protected follow(): Promise<void> {
    const { bus } = this.deps;
    this.#subs.push(
      // The event carries the contact's whole accepted list: replace it in place.
      bus.subscribe(xmpp.contactShares, (contact) => {
        // The gateway may have answered a fetch still under way before this list arrived: that
        // answer must not be cached over it (the change would be lost until the backstop).
        if (this.fetching) return this.invalidate();
        const contacts = this.current;
        if (!contacts) return;
        const i = contacts.findIndex((c) => c.jid === contact.jid);
        if (i < 0) contacts.push(contact);
        else contacts[i] = contact;
        this.changed();
      }),
      // Roster changes can drop a contact's list: fetch again.
      bus.subscribe(xmpp.contactChanged, () => this.invalidate()),
    );
    return Promise.resolve();
  }

  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}
