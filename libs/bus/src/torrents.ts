import type { Bus } from './bus.js';
import { collectPages, engine, type Result, type TorrentStatus } from '@bitween/messages';

/** Put `engine.list` pieces back together: one status per hash, its files from all pieces in order. */
export function mergeTorrentPieces(pieces: Iterable<TorrentStatus>): TorrentStatus[] {
  const byHash = new Map<string, TorrentStatus>();
  for (const piece of pieces) {
    const known = byHash.get(piece.hash);
    if (known) for (const f of piece.files) known.files.push(f);
    else byHash.set(piece.hash, { ...piece, files: [...piece.files] });
  }
  return [...byHash.values()];
}

/** Every torrent one engine holds: `engine.list` page after page, merged. */
export async function fetchAllTorrents(
  bus: Bus,
  engineId: string,
  opts: { timeoutMs?: number } = {},
): Promise<Result<TorrentStatus[]>> {
  const pieces = await collectPages(`engine.list (${engineId})`, async (cursor) => {
    const r = await bus.request(engine.list, cursor === null ? {} : { cursor }, {
      params: { engineId },
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });
    return r.ok ? { ok: true, value: { items: r.value.torrents, next: r.value.next ?? null } } : r;
  });
  return pieces.ok ? { ok: true, value: mergeTorrentPieces(pieces.value) } : pieces;
}
