import { BusError, decodeCursor, encodeCursor, pageBudget, type ContactShares } from '@bitween/messages';
import { z } from 'zod';
import type { ContactIndex, PagePosition } from './contact-index.js';

const Position = z
  .object({
    e: z.string(),
    j: z.string().min(1),
    v: z.number().int().nonnegative(),
    r: z.number().int().nonnegative(),
    s: z.number().int().nonnegative(),
  })
  .strict();

export function encodePosition(p: PagePosition): string {
  return encodeCursor({ e: p.epoch, j: p.jid, v: p.version, r: p.resource, s: p.share });
}

/** The position in a cursor this gateway issued, or null for anything else. */
export function decodePosition(cursor: string): PagePosition | null {
  const parsed = Position.safeParse(decodeCursor(cursor));
  if (!parsed.success) return null;
  const { e, j, v, r, s } = parsed.data;
  return { epoch: e, jid: j, version: v, resource: r, share: s };
}

/**
 * The `xmpp.shares` handler: one page from `cursor`, sized for the connection's max payload
 * (`pageBudget`: a JID in the cursor can be 3 KiB, the headroom holds it).
 */
export function sharesPage(
  index: ContactIndex,
  cursor: string | null | undefined,
  maxPayload: number | undefined,
): { contacts: ContactShares[]; next: string | null } {
  let from: PagePosition | null = null;
  if (cursor) {
    from = decodePosition(cursor);
    if (!from) throw new BusError('invalid_request', 'cursor: not a cursor this gateway issued');
  }
  const page = index.page(from, pageBudget(maxPayload));
  if (!page.ok) {
    throw new BusError('conflict', `the share list of ${page.jid} changed while it was paged; start again`);
  }
  return { contacts: page.contacts, next: page.next ? encodePosition(page.next) : null };
}
