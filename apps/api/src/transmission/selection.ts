import type { TorrentStatus } from '@bitween/messages';
import { normaliseHash } from '../core/hash.js';
import { isActive } from './fields.js';
import type { TrDeps } from './method-context.js';
import { trErrorOf, type Ids } from './protocol.js';

export interface Listing {
  torrents: TorrentStatus[];
  ids: Map<string, number>;
}

/** Every torrent (oldest first, so new ids ascend with the time of adding) and its id. */
export async function listing(deps: TrDeps): Promise<Listing> {
  let snapshot;
  try {
    snapshot = await deps.torrents.snapshot();
  } catch (err) {
    // Without the method's name: the listing failed, whatever the method.
    throw trErrorOf(err);
  }
  // A sorted copy: the snapshot is shared with other readers.
  const torrents = [...snapshot.torrents].sort(
    (a, b) => a.addedAt - b.addedAt || a.hash.localeCompare(b.hash),
  );
  const ids = await deps.ids.idsOf(torrents.map((t) => t.hash));
  return { torrents, ids };
}

/** The torrents `ids` names; unknown ids and hashes are skipped, as Transmission does. */
export function select(ids: Ids, { torrents, ids: idOf }: Listing): TorrentStatus[] {
  if (ids === undefined) return torrents;
  if (ids === 'recently-active') return torrents.filter(isActive);
  const wanted = Array.isArray(ids) ? ids : [ids];
  const numbers = new Set(wanted.filter((i) => typeof i === 'number'));
  const hashes = new Set(wanted.filter((i) => typeof i === 'string').map((h) => normaliseHash(h)));
  return torrents.filter((t) => hashes.has(t.hash) || numbers.has(idOf.get(t.hash)!));
}

export async function targets(deps: TrDeps, ids: Ids): Promise<TorrentStatus[]> {
  return select(ids, await listing(deps));
}

/** Run `action` on every torrent; the first failure is the method's error text (the rest still run). */
export async function each(
  torrents: TorrentStatus[],
  action: (t: TorrentStatus) => Promise<void>,
): Promise<void> {
  const outcomes = await Promise.allSettled(torrents.map(action));
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
}
