import type { PeerInfo, TorrentStatus } from '@bitween/messages';
import { CoreError } from '../core/errors.js';
import { TORRENT_FIELDS, torrentObject } from './fields.js';
import type { TrDeps, TrMethod } from './method-context.js';
import { TorrentGetArgs, parseArgs } from './protocol.js';
import { listing, select } from './selection.js';

export const torrentGet: TrMethod = async (raw, deps) => {
  const args = parseArgs(TorrentGetArgs, raw);
  const list = await listing(deps);
  const fields = args.fields && args.fields.length > 0 ? args.fields : TORRENT_FIELDS;
  const now = Math.floor(Date.now() / 1000);
  // Queue order: the time added unless moved (queue-move-*).
  const queue = [...list.torrents].sort(
    (a, b) => (a.queueOrder ?? a.addedAt) - (b.queueOrder ?? b.addedAt) || a.hash.localeCompare(b.hash),
  );
  const position = new Map(queue.map((t, i) => [t.hash, i]));
  const chosen = select(args.ids, list);
  // The bitfield and the peer list are asked of the engine only when wanted (not in the listing).
  const [pieces, peers] = await Promise.all([
    fields.includes('pieces')
      ? perEngine(deps, chosen, 'engine.pieces', (t) => deps.torrents.pieces(t))
      : new Map<string, string>(),
    fields.includes('peers')
      ? perEngine(deps, chosen, 'engine.peers', (t) => deps.torrents.peers(t))
      : new Map<string, PeerInfo[]>(),
  ]);
  const rows = chosen.map((t) =>
    torrentObject(t, fields, {
      id: list.ids.get(t.hash)!,
      now,
      position: position.get(t.hash)!,
      ...(pieces.has(t.hash) ? { pieces: pieces.get(t.hash)! } : {}),
      ...(peers.has(t.hash) ? { peers: peers.get(t.hash)! } : {}),
    }),
  );
  const out: Record<string, unknown> =
    args.format === 'table'
      ? { torrents: [fields, ...rows.map((r) => fields.filter((f) => f in r).map((f) => r[f]))] }
      : { torrents: rows };
  if (args.ids === 'recently-active') out['removed'] = deps.removed.ids();
  return out;
};

/**
 * One per-torrent engine command for each torrent with metadata (the pieces bitfield, the peer
 * list); a torrent whose engine does not answer gets nothing (the field's neutral value).
 */
async function perEngine<T>(
  deps: TrDeps,
  torrents: TorrentStatus[],
  what: string,
  ask: (t: TorrentStatus) => Promise<T>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  await Promise.all(
    torrents
      .filter((t) => (t.pieceCount ?? 0) > 0)
      .map(async (t) => {
        try {
          out.set(t.hash, await ask(t));
        } catch (err) {
          if (!(err instanceof CoreError)) throw err;
          deps.log.debug({ hash: t.hash, error: err.message }, `torrent-get: no answer to ${what}`);
        }
      }),
  );
  return out;
}
