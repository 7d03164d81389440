import type { PeerFilter } from '../peer-filter.js';
import type { AdmissionRules } from './gate.js';
import type { TicketBook } from './ticket-book.js';

/**
 * The admission rules from the ticket table and the contacts' announced addresses. Without a
 * proof a TCP peer gets in only from the extra allow list or an address a `legacy` contact
 * announces; while no ticket table has arrived (an older gateway, or none up yet) every contact
 * counts as legacy, which is the rule from before tickets.
 */
export function admissionRules(filter: PeerFilter, book: TicketBook): AdmissionRules {
  return {
    enabled: filter.enabled,
    self: () => book.self(),
    issued: (jid) => book.issued(jid),
    received: (jid) => book.received(jid),
    refresh: () => book.refresh(),
    byAddress(ip) {
      if (filter.extraAllows(ip)) return 'allow-list';
      const table = book.table;
      if (!table) return filter.announcedBy(ip, () => true) ? 'announced (no ticket table yet)' : null;
      return filter.announcedBy(ip, (jid) => table.legacy.has(jid)) ? 'legacy contact' : null;
    },
  };
}
