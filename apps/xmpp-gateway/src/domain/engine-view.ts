import { isAlive, sharesOf, type Endpoint, type RegisteredEngine, type Share } from '@bitween/messages';

/**
 * The gateway's view of the torrent engines (from the engines KV bucket): what all live
 * engines share and where they listen. Several engines appear as one XMPP resource.
 */
export class EngineView {
  readonly #engines = new Map<string, RegisteredEngine>();

  update(engineId: string, engine: RegisteredEngine | null): void {
    if (engine) this.#engines.set(engineId, engine);
    else this.#engines.delete(engineId);
  }

  /** Replace the whole view (a full read of the registry). */
  replaceAll(engines: RegisteredEngine[]): void {
    this.#engines.clear();
    for (const e of engines) this.#engines.set(e.state.engineId, e);
  }

  live(now: number): RegisteredEngine[] {
    return [...this.#engines.values()]
      .filter((e) => isAlive(e, now))
      .sort((a, b) => a.state.engineId.localeCompare(b.state.engineId));
  }

  shares(now: number): Share[] {
    const byHash = new Map<string, Share>();
    for (const e of this.live(now))
      for (const s of sharesOf(e.state)) if (!byHash.has(s.hash)) byHash.set(s.hash, s);
    return [...byHash.values()].sort((a, b) => a.hash.localeCompare(b.hash));
  }

  endpoints(now: number): Endpoint[] {
    const seen = new Map<string, Endpoint>();
    for (const e of this.live(now))
      for (const ep of e.state.endpoints) seen.set(`${ep.address}|${ep.port}`, ep);
    return [...seen.values()];
  }

  /** Every hash some live engine holds, with or without metadata (downloads need peers first). */
  hashes(now: number): string[] {
    const out = new Set<string>();
    for (const e of this.live(now)) for (const t of e.state.torrents) out.add(t.hash);
    return [...out].sort();
  }
}
