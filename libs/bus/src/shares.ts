import type { Bus } from './bus.js';
import { collectPages, xmpp, type ContactResource, type ContactShares, type Result } from '@bitween/messages';

/**
 * Put the pieces of `xmpp.shares` pages back together: one entry per jid (in order of first
 * appearance), one resource per name with the shares of all its pieces in page order. The
 * endpoints, `online` and `receivedAt` of a contact's first piece are kept.
 */
export function mergeSharePieces(pieces: Iterable<ContactShares>): ContactShares[] {
  const contacts = new Map<string, { contact: ContactShares; resources: Map<string, ContactResource> }>();
  for (const piece of pieces) {
    let entry = contacts.get(piece.jid);
    if (!entry) {
      entry = {
        contact: { jid: piece.jid, receivedAt: piece.receivedAt, resources: [] },
        resources: new Map(),
      };
      contacts.set(piece.jid, entry);
    }
    for (const r of piece.resources) {
      const known = entry.resources.get(r.resource);
      if (known) {
        for (const s of r.shares) known.shares.push(s);
        continue;
      }
      const copy = { ...r, shares: [...r.shares] };
      entry.resources.set(r.resource, copy);
      entry.contact.resources.push(copy);
    }
  }
  return [...contacts.values()].map((e) => e.contact);
}

export interface FetchSharesOptions {
  /** Per page; default the bus's 5 s. */
  timeoutMs?: number;
  /** Start again from the first page at most this often when a list changed under the cursor (default 3). */
  maxRestarts?: number;
}

/**
 * Every contact's share list from the gateway: `xmpp.shares` page after page, merged. A list
 * that changed while it was being paged (`conflict`) makes it start again from the first page.
 */
export async function fetchAllShares(
  bus: Bus,
  opts: FetchSharesOptions = {},
): Promise<Result<ContactShares[]>> {
  const callOpts = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  const maxRestarts = opts.maxRestarts ?? 3;
  for (let attempt = 0; ; attempt++) {
    const pieces = await collectPages('xmpp.shares', async (cursor) => {
      const r = await bus.request(xmpp.shares, cursor === null ? {} : { cursor }, callOpts);
      return r.ok ? { ok: true, value: { items: r.value.contacts, next: r.value.next ?? null } } : r;
    });
    if (pieces.ok) return { ok: true, value: mergeSharePieces(pieces.value) };
    if (pieces.error.code !== 'conflict' || attempt >= maxRestarts) return pieces;
    bus.log.debug({ attempt }, 'xmpp.shares: a list changed while paging; starting again');
  }
}
