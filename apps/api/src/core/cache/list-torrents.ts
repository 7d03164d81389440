import { type TorrentStatus } from '@bitween/messages';
import { fetchAllTorrents, type Bus, type RegisteredEngine } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import type { Registry } from '../registry.js';

export interface TorrentsSnapshot {
  /** The engines the registry lists as live. */
  engines: RegisteredEngine[];
  /** Every torrent of every live engine that answered `engine.list`. */
  torrents: TorrentStatus[];
  /** Engines that are live in the registry but did not answer (left out of `torrents`). */
  failed: { engineId: string; error: string }[];
}

/**
 * All torrents of all live engines: the registry names the engines, each is asked for its list
 * (all pages) in parallel. An engine that does not answer is reported in `failed` (and logged), the others
 * are still listed. Throws when the registry itself cannot be read.
 */
export async function listTorrents(
  deps: { bus: Bus; registry: Registry; log: Logger },
  timeoutMs: number,
): Promise<TorrentsSnapshot> {
  const engines = await deps.registry.live();
  const failed: TorrentsSnapshot['failed'] = [];
  const lists = await Promise.all(
    engines.map(async ({ state: { engineId } }): Promise<TorrentStatus[]> => {
      const r = await fetchAllTorrents(deps.bus, engineId, { timeoutMs });
      if (r.ok) return r.value;
      deps.log.warn({ engineId, code: r.error.code, error: r.error.message }, 'engine left out of a listing');
      failed.push({ engineId, error: r.error.message });
      return [];
    }),
  );
  return { engines, torrents: lists.flat(), failed };
}
