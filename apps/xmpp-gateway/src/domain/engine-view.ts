import { sharesOf, type Endpoint } from '@bitween/messages';
import { isAlive, type RegisteredEngine } from '@bitween/bus';
import { byReach } from '@bitween/net-policy';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import { entryName } from './entry-names.js';

const key = (e: Endpoint) => `${e.address}|${e.port}`;

/**
 * The gateway's view of the torrent engines (from the engines KV bucket): what each live engine
 * shares and where it listens. Each engine is published as its own `<resource/>` entry.
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

  /**
   * One entry per live engine: its shares and its endpoints, plus `extra` endpoints (addresses
   * discovered for the whole site, e.g. the public IPv4, with this engine's ports), public ones
   * before private ones.
   */
  entries(now: number, xmppResource: string, extraAddresses: readonly string[] = []): ResourceEntry[] {
    return this.live(now).map((e) => ({
      resource: entryName(xmppResource, e.state.engineId),
      shares: sharesOf(e.state).sort((a, b) => a.hash.localeCompare(b.hash)),
      endpoints: announced(e, extraAddresses),
    }));
  }

  /** What we announce for one live engine (as in `entries`); empty when it is not live. */
  endpointsOf(engineId: string, now: number, extraAddresses: readonly string[] = []): Endpoint[] {
    const engine = this.live(now).find((e) => e.state.engineId === engineId);
    return engine ? announced(engine, extraAddresses) : [];
  }

  /** The live engine that shares `hash` (metadata known, so it is in our list), or null. */
  holderOf(hash: string, now: number): string | null {
    const engine = this.live(now).find((e) => sharesOf(e.state).some((s) => s.hash === hash));
    return engine?.state.engineId ?? null;
  }

  /** Every endpoint of every live engine (never handed to our own engines as a peer). */
  endpoints(now: number): Endpoint[] {
    const seen = new Map<string, Endpoint>();
    for (const e of this.live(now)) for (const ep of e.state.endpoints) seen.set(key(ep), ep);
    return [...seen.values()];
  }

  /** Every hash some live engine holds, with or without metadata (downloads need peers first). */
  hashes(now: number): string[] {
    const out = new Set<string>();
    for (const e of this.live(now)) for (const t of e.state.torrents) out.add(t.hash);
    return [...out].sort();
  }
}

/** An engine's endpoints plus `extra` addresses with its ports: public first, LAN candidates after. */
function announced(e: RegisteredEngine, extraAddresses: readonly string[]): Endpoint[] {
  const endpoints = new Map<string, Endpoint>();
  for (const ep of e.state.endpoints) endpoints.set(key(ep), ep);
  const ports = [...new Set(e.state.endpoints.map((ep) => ep.port))];
  for (const address of extraAddresses)
    for (const port of ports) endpoints.set(key({ address, port }), { address, port });
  // (an engine lists its mapping first; byReach keeps that order within each group)
  return byReach([...endpoints.values()], (ep) => ep.address);
}
