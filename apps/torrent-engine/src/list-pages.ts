import {
  BusError,
  decodeCursor,
  encodeCursor,
  jsonBytes,
  pageBudget,
  type TorrentStatus,
} from '@bitween/messages';
import { z } from 'zod';

/** A page starts at the torrent added at `a` with hash `h` (or the next one after it), at its file `f`. */
const Position = z
  .object({ a: z.number().int(), h: z.string().max(64), f: z.number().int().nonnegative() })
  .strict();
type Position = z.infer<typeof Position>;

const byAddedThenHash = (x: { addedAt: number; hash: string }, y: { addedAt: number; hash: string }) =>
  x.addedAt - y.addedAt || (x.hash < y.hash ? -1 : x.hash > y.hash ? 1 : 0);

/**
 * The `engine.list` handler: one page of `torrents` (ordered by time added, then hash) from
 * `cursor`, as many as fit the connection's max payload; a torrent whose files do not fit is
 * cut inside `files` and continued on the next page. A page always holds something new, so
 * paging ends. Torrents added or removed meanwhile appear or not; nothing is sent twice.
 */
export function listPage(
  torrents: TorrentStatus[],
  cursor: string | null | undefined,
  maxPayload: number | undefined,
): { torrents: TorrentStatus[]; next: string | null } {
  let from: Position | null = null;
  if (cursor) {
    const parsed = Position.safeParse(decodeCursor(cursor));
    if (!parsed.success) throw new BusError('invalid_request', 'cursor: not a cursor this engine issued');
    from = parsed.data;
  }
  const budget = pageBudget(maxPayload);
  const sorted = [...torrents].sort(byAddedThenHash);
  let i = from ? sorted.findIndex((t) => byAddedThenHash(t, { addedAt: from.a, hash: from.h }) >= 0) : 0;
  if (i < 0) i = sorted.length;

  const out: TorrentStatus[] = [];
  let used = 0;
  let progressed = false; // something not sent before is on this page
  const cut = (t: TorrentStatus, file: number) => ({
    torrents: out,
    next: encodeCursor({ a: t.addedAt, h: t.hash, f: file } satisfies Position),
  });
  for (; i < sorted.length; i++) {
    const t = sorted[i]!;
    const first = from && t.hash === from.h && t.addedAt === from.a ? from.f : 0;
    const piece: TorrentStatus = { ...t, files: [] };
    const head = jsonBytes(piece);
    if (progressed && used + head > budget) return cut(t, first);
    used += head;
    out.push(piece);
    for (let f = first; f < t.files.length; f++) {
      const bytes = jsonBytes(t.files[f]);
      if (progressed && used + bytes > budget) {
        if (piece.files.length === 0) out.pop();
        return cut(t, f);
      }
      used += bytes;
      piece.files.push(t.files[f]!);
      progressed = true;
    }
    progressed = true;
  }
  return { torrents: out, next: null };
}
