import { TicketTable } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { issueTicket } from './ticket-secret.js';
import { TicketBook } from './tickets.js';

const SELF = 'alice@example.org';
const secret = Buffer.alloc(32, 1);
const T = (c: string) => c.repeat(43);

describe('TicketBook', () => {
  it('issues tickets to mutual contacts only, keeps received ones, revokes on removal', () => {
    const revisions: number[] = [];
    const book = new TicketBook(secret, SELF, (r) => revisions.push(r));
    book.setMutual(['bob@example.org', 'carol@example.org'], (jid) =>
      jid === 'bob@example.org' ? ['friends', 'work', 'friends', 'x'.repeat(300)] : [],
    );
    book.receive('bob@example.org', T('b'));
    book.receive('mallory@example.org', T('m')); // not a mutual contact: ignored
    let table = TicketTable.parse(book.table());
    expect(table.issued).toEqual([
      {
        jid: 'bob@example.org',
        ticket: issueTicket(secret, SELF, 'bob@example.org'),
        groups: ['friends', 'work'],
      },
      { jid: 'carol@example.org', ticket: issueTicket(secret, SELF, 'carol@example.org'), groups: [] },
      { jid: SELF, ticket: issueTicket(secret, SELF, SELF) },
    ]);
    expect(table.received).toEqual([{ jid: 'bob@example.org', ticket: T('b') }]);
    expect(revisions).toHaveLength(2);
    book.setMutual(['carol@example.org']); // bob removed: his tickets are gone both ways
    table = book.table();
    expect(table.issued.map((i) => i.jid)).toEqual(['carol@example.org', SELF]);
    expect(table.received).toEqual([]);
    expect(revisions).toHaveLength(3);
    expect(revisions[2]).toBeGreaterThan(revisions[1]!);
    // A change of groups alone is a new table (engines drop wires of shares the contact lost).
    book.setMutual(['carol@example.org'], () => ['family']);
    expect(book.table().issued[0]).toMatchObject({ jid: 'carol@example.org', groups: ['family'] });
    expect(revisions).toHaveLength(4);
    book.setMutual(['carol@example.org'], () => ['family']);
    expect(revisions).toHaveLength(4);
  });

  it('marks legacy contacts until they hand us a ticket', () => {
    const book = new TicketBook(secret, SELF, () => undefined);
    book.setMutual(['old@example.org']);
    book.markLegacy('old@example.org');
    book.markLegacy('stranger@example.org');
    expect(book.table().legacy).toEqual(['old@example.org']);
    book.receive('old@example.org', T('o'));
    expect(book.table().legacy).toEqual([]);
    book.markLegacy('old@example.org'); // one resource refused, another exchanged: not legacy
    expect(book.table().legacy).toEqual([]);
  });

  it('sibling instances agree on the smallest self-ticket', () => {
    const books = [1, 2, 3].map((n) => new TicketBook(Buffer.alloc(32, n), SELF, () => undefined));
    const [a, b, c] = books as [TicketBook, TicketBook, TicketBook];
    // a ↔ b, then b ↔ c, then c ↔ a (each exchange: the asker sends its ticket, the other replies)
    const exchange = (x: TicketBook, y: TicketBook) => {
      y.receive(SELF, x.issuedTo(SELF));
      x.receive(SELF, y.issuedTo(SELF));
    };
    exchange(a, b);
    exchange(b, c);
    exchange(c, a);
    const smallest = [1, 2, 3].map((n) => issueTicket(Buffer.alloc(32, n), SELF, SELF)).sort()[0];
    for (const book of books) {
      const table = book.table();
      expect(table.issued.find((i) => i.jid === SELF)?.ticket).toBe(smallest);
      expect(table.received.find((i) => i.jid === SELF)?.ticket).toBe(smallest);
    }
  });
});
