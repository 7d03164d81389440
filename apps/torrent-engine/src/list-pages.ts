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
 * What `engine.list` pages over: the torrents by their order key (time added, hash), each one's
 * status built only when it goes on the page (building a status reads webtorrent's getters and
 * the files; an engine of 10,000 torrents answers ~10 pages, and building every status for each
 * of them made a whole list cost pages × torrents statuses).
 */
export interface ListView<T> {
  readonly items: Iterable<T>;
  addedAt(item: T): number;
  hash(item: T): string;
  status(item: T): TorrentStatus;
}

/**
 * The `engine.list` handler: one page of `view`'s torrents (ordered by time added, then hash)
 * from `cursor`, as many as fit the connection's max payload, building the status of those on
 * the page only; a torrent whose files do not fit is cut inside `files` and continued on the
 * next page. A page always holds something new, so paging ends. Torrents added or removed
 * meanwhile appear or not; nothing is sent twice.
 */
export function listPage<T>(
  view: ListView<T>,
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
  const keyed: { addedAt: number; hash: string; item: T }[] = [];
  for (const item of view.items) keyed.push({ addedAt: view.addedAt(item), hash: view.hash(item), item });
  // Only the keys after the cursor are sorted (a page of a long list skips most of it).
  const after = from
    ? keyed.filter((k) => byAddedThenHash(k, { addedAt: from.a, hash: from.h }) >= 0)
    : keyed;
  const sorted = after.sort(byAddedThenHash);

  const out: TorrentStatus[] = [];
  let used = 0;
  let progressed = false; // something not sent before is on this page
  const cut = (k: { addedAt: number; hash: string }, file: number) => ({
    torrents: out,
    next: encodeCursor({ a: k.addedAt, h: k.hash, f: file } satisfies Position),
  });
  for (const k of sorted) {
    const first = from && k.hash === from.h && k.addedAt === from.a ? from.f : 0;
    const t = view.status(k.item);
    const piece: TorrentStatus = { ...t, files: [] };
    const head = jsonBytes(piece);
    if (progressed && used + head > budget) return cut(k, first);
    used += head;
    out.push(piece);
    for (let f = first; f < t.files.length; f++) {
      const bytes = jsonBytes(t.files[f]);
      if (progressed && used + bytes > budget) {
        if (piece.files.length === 0) out.pop();
        return cut(k, f);
      }
      used += bytes;
      piece.files.push(t.files[f]!);
      progressed = true;
    }
    progressed = true;
  }
  return { torrents: out, next: null };
}
