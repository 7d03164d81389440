import type { Bus } from '@bitween/bus';
import type { TicketTable } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { PeerFilter } from '../peer-filter.js';
import { admissionRules } from './rules.js';
import { TicketBook } from './ticket-book.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const RESTRICTED = 'a'.repeat(40);
const OPEN = 'b'.repeat(40);
const T = (c: string) => c.repeat(43);

/** A ticket book fed `table` (null: the gateway never answers), as the gateway's reply would. */
async function bookWith(table: TicketTable | null): Promise<TicketBook> {
  // (A stand-in for the bus: only `xmpp.tickets` is asked.)
  const bus = {
    request: () =>
      Promise.resolve(
        table
          ? { ok: true, value: table }
          : { ok: false, error: { code: 'unavailable', message: 'no gateway' } },
      ),
  } as unknown as Bus;
  const book = new TicketBook(bus, quiet);
  await book.fetch();
  return book;
}

const visibility = {
  current: () => new Map([[RESTRICTED, ['family']]]),
  loaded: () => Promise.resolve(),
};

describe('admissionRules and per-group visibility', () => {
  it('serves a restricted share to the contacts of its groups by their table groups', async () => {
    const book = await bookWith({
      self: 'alice@x',
      issued: [
        { jid: 'bob@y', ticket: T('b'), groups: ['family'] },
        { jid: 'carol@y', ticket: T('c'), groups: ['work'] },
        { jid: 'dave@y', ticket: T('d') }, // (an older gateway: no groups)
      ],
      received: [],
      legacy: [],
      revision: 1,
    });
    const rules = admissionRules(new PeerFilter(true), book, visibility);
    expect(rules.shareAccess(RESTRICTED, 'bob@y').serve).toBe(true);
    expect(rules.shareAccess(RESTRICTED, 'carol@y').serve).toBe(false);
    expect(rules.shareAccess(RESTRICTED, 'dave@y').serve).toBe(false);
    expect(rules.shareAccess(RESTRICTED, 'alice@x').serve).toBe(true);
    expect(rules.shareAccess(OPEN, 'carol@y').serve).toBe(true);
  });

  it('admits a legacy contact by address only for the shares its groups see; the allow list for all', async () => {
    const book = await bookWith({
      self: 'alice@x',
      issued: [
        { jid: 'old@y', ticket: T('o'), groups: ['work'] },
        { jid: 'kin@y', ticket: T('k'), groups: ['family'] },
      ],
      received: [],
      legacy: ['old@y', 'kin@y'],
      revision: 1,
    });
    const filter = new PeerFilter(true, ['192.0.2.9']);
    filter.replaceFriends([
      { jid: 'old@y', addresses: ['198.51.100.1'] },
      { jid: 'kin@y', addresses: ['198.51.100.2'] },
    ]);
    const rules = admissionRules(filter, book, visibility);
    expect(rules.byAddress('198.51.100.1', OPEN)).toBe('legacy contact');
    expect(rules.byAddress('198.51.100.1', RESTRICTED)).toBeNull();
    expect(rules.byAddress('198.51.100.2', RESTRICTED)).toBe('legacy contact');
    expect(rules.byAddress('192.0.2.9', RESTRICTED)).toBe('allow-list');
  });

  it('without a ticket table, announced addresses get only shares every contact sees', async () => {
    const book = await bookWith(null);
    const filter = new PeerFilter(true);
    filter.replaceFriends([{ jid: 'kin@y', addresses: ['198.51.100.2'] }]);
    const rules = admissionRules(filter, book, visibility);
    expect(rules.byAddress('198.51.100.2', OPEN)).toBe('announced (no ticket table yet)');
    expect(rules.byAddress('198.51.100.2', RESTRICTED)).toBeNull();
  });
});
