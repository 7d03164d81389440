import { BusError } from '@bitween/messages';
import { z } from 'zod';
import type { ContactIndex, PagePosition } from './contact-index.js';

/** NATS's default `max_payload`, for a connection that has not told us its own. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Bytes of contacts' lists per `xmpp.shares` page for a connection whose messages may hold
 * `maxPayload` bytes: an eighth (at least 64 KiB) is left for the page's envelope, its cursor
 * (a JID can be 3 KiB) and a margin.
 */
export function sharesPageBudget(maxPayload: number | undefined): number {
  const max = maxPayload ?? DEFAULT_MAX_PAYLOAD;
  return Math.max(16 * 1024, max - Math.max(64 * 1024, Math.floor(max / 8)));
}

const Position = z
  .object({
    e: z.string(),
    j: z.string().min(1),
    v: z.number().int().nonnegative(),
    r: z.number().int().nonnegative(),
    s: z.number().int().nonnegative(),
  })
  .strict();

export function encodeCursor(p: PagePosition): string {
  const body = { e: p.epoch, j: p.jid, v: p.version, r: p.resource, s: p.share };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** A cursor this gateway issued, or null for anything else. */
export function decodeCursor(cursor: string): PagePosition | null {
  try {
    const parsed = Position.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (!parsed.success) return null;
    const { e, j, v, r, s } = parsed.data;
    return { epoch: e, jid: j, version: v, resource: r, share: s };
  } catch {
    return null;
  }
}

/** The `xmpp.shares` handler: one page from `cursor`, sized for the connection's max payload. */
export function sharesPage(
  index: ContactIndex,
  cursor: string | null | undefined,
  maxPayload: number | undefined,
): { contacts: ReturnType<ContactIndex['snapshot']>; next: string | null } {
  let from: PagePosition | null = null;
  if (cursor) {
    from = decodeCursor(cursor);
    if (!from) throw new BusError('invalid_request', 'cursor: not a cursor this gateway issued');
  }
  const page = index.page(from, sharesPageBudget(maxPayload));
  if (!page.ok) {
    throw new BusError('conflict', `the share list of ${page.jid} changed while it was paged; start again`);
  }
  return { contacts: page.contacts, next: page.next ? encodeCursor(page.next) : null };
}
