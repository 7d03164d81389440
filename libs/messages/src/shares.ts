import type { Bus } from './bus.js';
import { shares, type ContactResource, type ContactShares } from './contracts/xmpp.js';
import { fail, ok, type Result } from './errors.js';
import type { ResponseOf } from './contract.js';

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

/** More pages than this is a gateway bug (each page holds up to ~1 MiB). */
const MAX_PAGES = 100_000;

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
    const pieces: ContactShares[] = [];
    let cursor: string | null = null;
    let conflict = false;
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) return fail('invalid_reply', `xmpp.shares: more than ${MAX_PAGES} pages`);
      const r: Result<ResponseOf<typeof shares>> = await bus.request(
        shares,
        cursor === null ? {} : { cursor },
        callOpts,
      );
      if (!r.ok) {
        if (r.error.code === 'conflict' && attempt < maxRestarts) {
          conflict = true;
          break;
        }
        return r;
      }
      for (const c of r.value.contacts) pieces.push(c);
      const next: string | null = r.value.next ?? null;
      if (next === null) return ok(mergeSharePieces(pieces));
      if (next === cursor)
        return fail('invalid_reply', 'xmpp.shares: the gateway answered the same cursor again');
      cursor = next;
    }
    if (conflict) bus.log.debug({ attempt }, 'xmpp.shares: a list changed while paging; starting again');
  }
}
