import type { TorrentStatus } from '@bitween/messages';
import { CoreError } from '../core/errors.js';
import type { TrDeps, TrMethod } from './method-context.js';
import { SetLocationArgs, TorrentActionArgs, TorrentRemoveArgs, parseArgs } from './protocol.js';
import { each, listing, select, targets } from './selection.js';

export const pauseOrResume =
  (action: 'pause' | 'resume'): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    await each(await targets(deps, args.ids), async (t) => {
      await (action === 'pause' ? deps.torrents.pause(t) : deps.torrents.resume(t));
    });
    return {};
  };

/**
 * Remove every torrent named, through the core (the same removal as REST and JSON-RPC); one
 * that is gone already (removed meanwhile: the listing is a moment old) is skipped, as
 * Transmission skips unknown ids.
 */
export const torrentRemove: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentRemoveArgs, raw);
  const list = await listing(deps);
  const deleteData = args['delete-local-data'] ?? false;
  await each(select(args.ids, list), async (t) => {
    try {
      await deps.torrents.remove(t.hash, deleteData);
    } catch (err) {
      if (!(err instanceof CoreError && err.code === 'not_found')) throw err;
    }
    deps.removed.add(list.ids.get(t.hash)!);
  });
  return {};
};

/** `torrent-verify` / `torrent-reannounce`: the engine command on every selected torrent. */
export const perTorrent =
  (run: (deps: TrDeps, t: TorrentStatus) => Promise<unknown>): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    await each(await targets(deps, args.ids), async (t) => {
      await run(deps, t);
    });
    return {};
  };

/**
 * `torrent-set-location`: each selected torrent's data moves (`move`) to the folder, or only its
 * location changes; below the share roots only (the engine refuses any other folder).
 */
export const setLocation: TrMethod = async (raw, deps) => {
  const args = parseArgs(SetLocationArgs, raw);
  await each(await targets(deps, args.ids), async (t) => {
    await deps.torrents.setLocation(t, args.location, args.move === true);
  });
  return {};
};

/**
 * `queue-move-*`: each engine keeps its own download queue; the torrents move in listing order
 * (`top` and `down` move the last one first, so a block of torrents keeps its order).
 */
export const queueMoves =
  (to: 'top' | 'up' | 'down' | 'bottom'): TrMethod =>
  async (raw, deps) => {
    const args = parseArgs(TorrentActionArgs, raw);
    const list = await targets(deps, args.ids);
    const ordered = to === 'top' || to === 'down' ? [...list].reverse() : list;
    for (const t of ordered) {
      await deps.torrents.queueMove(t, to);
    }
    return {};
  };
