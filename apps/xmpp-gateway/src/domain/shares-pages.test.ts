import { BusError, pageBudget, xmpp, type ContactShares } from '@bitween/messages';
import { mergeSharePieces } from '@bitween/bus';
import { describe, expect, it } from 'vitest';
import type { ResourceEntry } from '../protocol/shares-codec.js';
import { ContactIndex, type PagePosition } from './contact-index.js';
import { decodePosition, encodePosition, sharesPage } from './shares-pages.js';

const hash = (n: number) => n.toString(16).padStart(40, '0');
const shares = (from: number, count: number, name = 'file') =>
  Array.from({ length: count }, (_, i) => ({
    hash: hash(from + i),
    name: `${name}-${from + i}.bin`,
    size: i,
  }));
const entry = (resource: string, sharesOf: ResourceEntry['shares'], port = 8000): ResourceEntry => ({
  resource,
  shares: sharesOf,
  endpoints: [{ address: '10.0.0.1', port }],
});

/** Every page from the start, with `budget` bytes each. */
function pageAll(index: ContactIndex, budget: number): ContactShares[][] {
  const pages: ContactShares[][] = [];
  let from: PagePosition | null = null;
  for (;;) {
    const page = index.page(from, budget);
    if (!page.ok) throw new Error(`conflict on ${page.jid}`);
    pages.push(page.contacts);
    if (!page.next) return pages;
    from = page.next;
    if (pages.length > 10_000) throw new Error('paging does not end');
  }
}

/** Bytes of a page's contacts as JSON. */
const bytesOf = (contacts: ContactShares[]) => Buffer.byteLength(JSON.stringify(contacts));

function sampleIndex(): ContactIndex {
  const index = new ContactIndex((jid, resource) => !(jid === 'carol@x' && resource === 'phone'));
  index.replace('bob@x', [entry('laptop', shares(0, 40)), entry('server', shares(100, 3), 9000)], 1);
  index.replace('alice@x', [], 2); // a contact whose list is empty
  index.replace('carol@x', [entry('phone', []), entry('desk', shares(200, 120, 'long-name'.repeat(5)))], 3);
  index.replace('dave@x', [entry('only', shares(400, 1))], 4);
  return index;
}

describe('ContactIndex.page', () => {
  it('answers an empty index with one empty last page', () => {
    expect(new ContactIndex().page(null, 1000)).toEqual({ ok: true, contacts: [], next: null });
  });

  it('puts everything on one page when it fits', () => {
    const index = sampleIndex();
    const page = index.page(null, 10 * 1024 * 1024);
    expect(page).toEqual({ ok: true, contacts: index.snapshot(), next: null });
  });

  it('cuts pages at any point and merges back to the snapshot, each page within its budget', () => {
    const index = sampleIndex();
    const snapshot = index.snapshot();
    expect(snapshot.map((c) => c.jid)).toEqual(['alice@x', 'bob@x', 'carol@x', 'dave@x']);
    for (const budget of [300, 700, 1500, 4000]) {
      const pages = pageAll(index, budget);
      expect(pages.length).toBeGreaterThan(1);
      expect(mergeSharePieces(pages.flat())).toEqual(snapshot);
      // The budget counts each item's JSON plus a comma: a page's contacts array stays within it.
      for (const page of pages) expect(bytesOf(page)).toBeLessThanOrEqual(budget + 2);
    }
  });

  it('splits one contact, and one resource, across pages', () => {
    const index = sampleIndex();
    const pages = pageAll(index, 1500);
    const pagesWith = (jid: string, resource: string) =>
      pages.filter((p) => p.some((c) => c.jid === jid && c.resources.some((r) => r.resource === resource)));
    // carol's desk holds 120 long names (~9 KB): it spans several pages, each piece carries the
    // resource's endpoints and online state.
    const desk = pagesWith('carol@x', 'desk');
    expect(desk.length).toBeGreaterThan(3);
    for (const page of desk) {
      const piece = page.find((c) => c.jid === 'carol@x')!.resources.find((r) => r.resource === 'desk')!;
      expect(piece).toMatchObject({ online: true, endpoints: [{ address: '10.0.0.1', port: 8000 }] });
      expect(piece.shares.length).toBeGreaterThan(0);
    }
    // The empty, offline resource and the empty contact survive.
    const merged = mergeSharePieces(pages.flat());
    expect(merged.find((c) => c.jid === 'alice@x')).toEqual({ jid: 'alice@x', receivedAt: 2, resources: [] });
    expect(merged.find((c) => c.jid === 'carol@x')?.resources[0]).toEqual({
      resource: 'phone',
      online: false,
      endpoints: [{ address: '10.0.0.1', port: 8000 }],
      shares: [],
    });
  });

  it('always makes progress, even when one share is larger than the budget', () => {
    const index = new ContactIndex();
    index.replace('bob@x', [entry('a', shares(0, 5, 'x'.repeat(500)))], 1);
    const pages = pageAll(index, 10);
    expect(pages).toHaveLength(5);
    expect(mergeSharePieces(pages.flat())).toEqual(index.snapshot());
  });

  it('refuses a cursor into a list that changed, and continues at a contact boundary', () => {
    const index = sampleIndex();
    const first = index.page(null, 1500);
    if (!first.ok || !first.next) throw new Error('expected a cut');
    expect(first.next).toMatchObject({ jid: 'bob@x' });
    expect(first.next.resource + first.next.share).toBeGreaterThan(0); // inside bob's list
    index.replace('bob@x', [entry('laptop', shares(0, 2))], 5);
    expect(index.page(first.next, 1500)).toEqual({ ok: false, jid: 'bob@x' });
    // A cursor at the start of a contact stays valid when that contact changes or leaves.
    const boundary: PagePosition = { ...first.next, jid: 'carol@x', resource: 0, share: 0 };
    index.retain((jid) => jid !== 'carol@x');
    const rest = index.page(boundary, 1_000_000);
    expect(rest.ok && rest.contacts.map((c) => c.jid)).toEqual(['dave@x']);
  });

  it('does not accept a cursor from another gateway run (epoch)', () => {
    const index = sampleIndex();
    const first = index.page(null, 1500);
    if (!first.ok || !first.next) throw new Error('expected a cut');
    expect(sampleIndex().page(first.next, 1500)).toEqual({ ok: false, jid: 'bob@x' });
  });
});

describe('sharesPage (the xmpp.shares handler)', () => {
  it('keeps each answer of 30,000 shares within the default NATS max payload', () => {
    const index = new ContactIndex();
    for (let c = 0; c < 3; c++) {
      // one contact alone is ~1.2 MB of JSON: more than one message
      index.replace(`friend${c}@x`, [entry('bitween', shares(c * 10_000, 10_000, 'holiday-photos-2024'))], c);
    }
    const max = 1024 * 1024;
    const pieces: ContactShares[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = sharesPage(index, cursor, max);
      // What ServiceHost sends: the response after its contract.
      const wire = Buffer.byteLength(JSON.stringify(xmpp.shares.response.parse(answer)));
      expect(wire).toBeLessThan(max);
      pieces.push(...answer.contacts);
      cursor = answer.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(mergeSharePieces(pieces)).toEqual(index.snapshot());
  });

  it('answers a cursor it did not issue with invalid_request and a stale one with conflict', () => {
    const index = sampleIndex();
    for (const bad of [
      'nonsense',
      encodePosition({ epoch: 'e', jid: '', version: 1, resource: 0, share: 0 }),
    ]) {
      expect(() => sharesPage(index, bad, 4096)).toThrow(BusError);
      try {
        sharesPage(index, bad, 4096);
      } catch (err) {
        expect((err as BusError).code).toBe('invalid_request');
      }
    }
    const stale = encodePosition({ epoch: 'other-run', jid: 'bob@x', version: 1, resource: 0, share: 3 });
    expect(() => sharesPage(index, stale, 4096)).toThrow(/changed while it was paged/);
  });

  it('round-trips cursors and sizes pages below the max payload', () => {
    const p: PagePosition = { epoch: 'e1', jid: 'bob@x', version: 7, resource: 1, share: 20 };
    expect(decodePosition(encodePosition(p))).toEqual(p);
    expect(pageBudget(1024 * 1024)).toBe(1024 * 1024 - 128 * 1024);
    expect(pageBudget(undefined)).toBe(pageBudget(1024 * 1024));
    expect(pageBudget(256 * 1024)).toBe(192 * 1024);
    expect(pageBudget(8 * 1024 * 1024)).toBe(7 * 1024 * 1024);
  });
});
