import type { PeerFilter } from '../peer-filter.js';
import type { AdmissionRules } from './gate.js';
import { shareAccess } from './share-access.js';
import type { TicketBook } from './ticket-book.js';

/** Which roster groups see each share (share-visibility.ts): null while not read yet. */
export interface VisibilitySource {
  current(): ReadonlyMap<string, readonly string[]> | null;
  loaded(timeoutMs: number): Promise<void>;
}

/** How long a proven contact's wire waits for the share visibility to be read at start. */
const SETTLE_MS = 5_000;

/**
 * The admission rules from the ticket table and the contacts' announced addresses. Without a
 * proof a TCP peer gets in only from the extra allow list or an address a `legacy` contact
 * announces; while no ticket table has arrived (an older gateway, or none up yet) every contact
 * counts as legacy, which is the rule from before tickets. A share restricted to roster groups
 * goes to contacts in those groups only (share-access.ts), also for address admission: then only a
 * legacy contact in the groups (the allow list is the operator's own and stays as it is).
 */
export function admissionRules(
  filter: PeerFilter,
  book: TicketBook,
  visibility: VisibilitySource,
): AdmissionRules {
  const access = (infoHash: string, jid: string) =>
    shareAccess({
      hash: infoHash,
      jid,
      self: book.self(),
      visibility: visibility.current(),
      groupsOf: book.groupsOf,
    });
  return {
    enabled: filter.enabled,
    self: () => book.self(),
    issued: (jid) => book.issued(jid),
    received: (jid) => book.received(jid),
    refresh: () => book.refresh(),
    shareAccess: access,
    settled: () => visibility.loaded(SETTLE_MS),
    byAddress(ip, infoHash) {
      if (filter.extraAllows(ip)) return 'allow-list';
      const table = book.table;
      const sees = (jid: string) => access(infoHash, jid).serve;
      if (!table) return filter.announcedBy(ip, sees) ? 'announced (no ticket table yet)' : null;
      return filter.announcedBy(ip, (jid) => table.legacy.has(jid) && sees(jid)) ? 'legacy contact' : null;
    },
  };
}
