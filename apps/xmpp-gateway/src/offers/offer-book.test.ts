import { describe, expect, it } from 'vitest';
import { OfferBook, offerId } from './offer-book.js';

const hash = (n: number) => n.toString(16).padStart(40, '0');
const offer = (n: number, from = 'alice@example.org', receivedAt = n) => ({
  from,
  hash: hash(n),
  name: `file ${n}`,
  size: n,
  endpoints: [],
  receivedAt,
});

describe('OfferBook', () => {
  it('one offer per share and sender: a repeat refreshes it, keeps its acceptance and is not new', () => {
    const book = new OfferBook({ max: 10, perSender: 10 });
    const first = book.add(offer(1));
    expect(first).toMatchObject({
      isNew: true,
      offer: { id: offerId(hash(1), 'alice@example.org'), acceptedAt: null },
    });
    book.accept(first.offer.id, 5);
    const again = book.add({ ...offer(1), name: 'renamed', receivedAt: 9 });
    expect(again.isNew).toBe(false);
    expect(book.list()).toEqual([{ ...again.offer, name: 'renamed', receivedAt: 9, acceptedAt: 5 }]);
    // The same share from another friend is another offer.
    expect(book.add(offer(1, 'carol@example.org')).isNew).toBe(true);
    expect(book.list()).toHaveLength(2);
  });

  it('is bounded: per sender (its own oldest go) and in total (the oldest go)', () => {
    const book = new OfferBook({ max: 5, perSender: 3 });
    book.add(offer(1, 'carol@example.org'));
    for (let i = 10; i < 20; i++) book.add(offer(i));
    expect(book.list().map((o) => o.size)).toEqual([19, 18, 17, 1]);
    for (let i = 30; i < 33; i++) book.add(offer(i, 'dave@example.org'));
    expect(book.list().map((o) => o.size)).toEqual([32, 31, 30, 19, 18]);
  });

  it('accepts, dismisses and drops the offers of senders no longer followed', () => {
    const book = new OfferBook({ max: 10, perSender: 10 }, [
      { ...offer(1), id: offerId(hash(1), 'alice@example.org'), acceptedAt: null },
    ]);
    book.add(offer(2, 'mallory@example.org'));
    expect(book.accept('0000000000000000', 1)).toBeUndefined();
    expect(book.retain((from) => from !== 'mallory@example.org')).toBe(1);
    expect(book.dismiss(offerId(hash(1), 'alice@example.org'))).toBe(true);
    expect(book.list()).toEqual([]);
  });
});
