import { BareJid } from '@bitween/messages';
import { z } from 'zod';
import { TorrentState, type Torrent } from './resources.js';

/**
 * `GET /v1/torrents` filters, order and paging. Without any of them the whole list is sent as
 * cached (one serialisation per change); with any, it is filtered, sorted and sliced here.
 */
export const SORT_KEYS = ['name', 'size', 'progress', 'downloadSpeed', 'uploadSpeed', 'addedAt'] as const;

export const TorrentsQuery = z.object({
  state: z
    .union([z.enum(TorrentState.options), z.literal('active')])
    .optional()
    .describe('only torrents in this state; `active`: moving data (down or up rate above 0)'),
  label: z.string().min(1).max(256).optional().describe('only torrents carrying this label'),
  friend: BareJid.optional().describe("only downloads of this friend's shares (a bare JID, any case)"),
  q: z
    .string()
    .trim()
    .max(256)
    .optional()
    .describe('words that must all occur in the name (any case), or an info-hash prefix'),
  sort: z.enum(SORT_KEYS).optional().describe('order by this field (default: addedAt)'),
  order: z.enum(['asc', 'desc']).optional().describe('default: asc for name, desc for the others'),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .default(0)
    .describe('skip this many (after filtering)'),
  limit: z.coerce.number().int().min(1).max(10_000).optional().describe('at most this many (default: all)'),
});
export type TorrentsQuery = z.output<typeof TorrentsQuery>;

/** Whether the request asked for anything but the whole list. */
export function isPlainListing(raw: Record<string, unknown>): boolean {
  return Object.keys(raw).length === 0;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function compare(a: Torrent, b: Torrent, key: (typeof SORT_KEYS)[number]): number {
  switch (key) {
    case 'name':
      return collator.compare(a.name ?? '', b.name ?? '');
    case 'size':
      return (a.size ?? -1) - (b.size ?? -1);
    default:
      return a[key] - b[key];
  }
}

/** The page of torrents the query asks for, and how many match it in all. */
export function queryTorrents(
  all: readonly Torrent[],
  q: TorrentsQuery,
): { torrents: Torrent[]; total: number } {
  const words = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const friend = q.friend?.toLowerCase();
  const matching = all.filter((t) => {
    if (q.state === 'active' ? t.downloadSpeed <= 0 && t.uploadSpeed <= 0 : q.state && t.state !== q.state)
      return false;
    if (q.label !== undefined && !(t.labels ?? []).includes(q.label)) return false;
    if (friend !== undefined && !(t.friends ?? []).includes(friend)) return false;
    if (words.length === 0) return true;
    const name = (t.name ?? '').toLowerCase();
    return words.every((w) => name.includes(w) || t.hash.startsWith(w));
  });
  const key = q.sort ?? 'addedAt';
  const sign = (q.order ?? (key === 'name' ? 'asc' : 'desc')) === 'asc' ? 1 : -1;
  matching.sort((a, b) => sign * compare(a, b, key) || a.hash.localeCompare(b.hash));
  const end = q.limit === undefined ? undefined : q.offset + q.limit;
  return { torrents: matching.slice(q.offset, end), total: matching.length };
}
