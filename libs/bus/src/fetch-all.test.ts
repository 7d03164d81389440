import { describe, expect, it } from 'vitest';
import { fail, ok, type ContactShares, type Result, type TorrentStatus } from '@bitween/messages';
import type { Bus } from './bus.js';
import { fetchAllShares, mergeSharePieces } from './shares.js';
import { mergeTorrentPieces } from './torrents.js';

const hash = (n: number) => n.toString(16).padStart(40, '0');
const share = (n: number) => ({ hash: hash(n), name: `f${n}`, size: n });
const ep = { address: '10.0.0.1', port: 8000 };

const bob: ContactShares = {
  jid: 'bob@x',
  receivedAt: 1,
  resources: [
    { resource: 'a', online: true, endpoints: [ep], shares: [share(1), share(2), share(3)] },
    { resource: 'b', online: false, endpoints: [], shares: [] },
  ],
};
const carol: ContactShares = {
  jid: 'carol@x',
  receivedAt: 2,
  resources: [{ resource: 'c', online: true, endpoints: [ep], shares: [share(4)] }],
};

describe('mergeSharePieces', () => {
  it('joins the pieces of a contact and of a resource cut across pages', () => {
    const pieces: ContactShares[] = [
      { ...bob, resources: [{ ...bob.resources[0]!, shares: [share(1)] }] },
      { ...bob, resources: [{ ...bob.resources[0]!, shares: [share(2), share(3)] }, bob.resources[1]!] },
      carol,
    ];
    expect(mergeSharePieces(pieces)).toEqual([bob, carol]);
  });

  it('keeps contacts and resources without shares, and returns [] for no pieces', () => {
    const empty = { jid: 'dave@x', receivedAt: 3, resources: [] };
    expect(mergeSharePieces([empty, { ...empty }])).toEqual([empty]);
    expect(mergeSharePieces([])).toEqual([]);
  });

  it('does not change the pieces it was given', () => {
    const first = { ...bob, resources: [{ ...bob.resources[0]!, shares: [share(1)] }] };
    mergeSharePieces([first, { ...bob, resources: [{ ...bob.resources[0]!, shares: [share(2)] }] }]);
    expect(first.resources[0]!.shares).toEqual([share(1)]);
  });
});

/** A stand-in bus answering `xmpp.shares` from a list of pages (cursor = page number). */
function pagedBus(answer: (cursor: string | undefined, call: number) => Result<unknown>) {
  const cursors: (string | undefined)[] = [];
  const bus = {
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    request: (_cmd: unknown, req: { cursor?: string }) => {
      cursors.push(req.cursor);
      return Promise.resolve(answer(req.cursor, cursors.length));
    },
  } as unknown as Bus;
  return { bus, cursors };
}

describe('fetchAllShares', () => {
  const pages = [
    {
      contacts: [{ ...bob, resources: [{ ...bob.resources[0]!, shares: [share(1), share(2)] }] }],
      next: 'p1',
    },
    {
      contacts: [{ ...bob, resources: [{ ...bob.resources[0]!, shares: [share(3)] }, bob.resources[1]!] }],
      next: 'p2',
    },
    { contacts: [carol], next: null },
  ];
  const byCursor = (cursor: string | undefined) => ok(pages[cursor ? Number(cursor.slice(1)) : 0]!);

  it('asks page after page, starting with an empty request, and merges them', async () => {
    const { bus, cursors } = pagedBus(byCursor);
    expect(await fetchAllShares(bus)).toEqual({ ok: true, value: [bob, carol] });
    expect(cursors).toEqual([undefined, 'p1', 'p2']);
  });

  it('reads an older gateway’s single answer without `next`', async () => {
    const { bus } = pagedBus(() => ok({ contacts: [bob] }));
    expect(await fetchAllShares(bus)).toEqual({ ok: true, value: [bob] });
  });

  it('returns an empty list for an empty gateway', async () => {
    const { bus } = pagedBus(() => ok({ contacts: [], next: null }));
    expect(await fetchAllShares(bus)).toEqual({ ok: true, value: [] });
  });

  it('starts again from the first page when a list changed under the cursor', async () => {
    const { bus, cursors } = pagedBus((cursor, call) =>
      call === 2 ? fail('conflict', 'bob@x changed') : byCursor(cursor),
    );
    expect(await fetchAllShares(bus)).toEqual({ ok: true, value: [bob, carol] });
    expect(cursors).toEqual([undefined, 'p1', undefined, 'p1', 'p2']);
  });

  it('gives up after maxRestarts conflicts, and passes other errors on', async () => {
    const conflicts = pagedBus((cursor) => (cursor ? fail('conflict', 'changed') : byCursor(cursor)));
    const r = await fetchAllShares(conflicts.bus, { maxRestarts: 2 });
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(conflicts.cursors.filter((c) => c === undefined)).toHaveLength(3);

    const down = pagedBus(() => fail('unavailable', 'nobody answers'));
    expect(await fetchAllShares(down.bus)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('refuses a gateway that answers the same cursor again (it would never end)', async () => {
    const { bus } = pagedBus(() => ok({ contacts: [], next: 'same' }));
    expect(await fetchAllShares(bus)).toMatchObject({ ok: false, error: { code: 'invalid_reply' } });
  });
});

describe('mergeTorrentPieces', () => {
  it('joins the files of a torrent cut across pages and keeps the order of torrents', () => {
    const status = (h: string, files: string[]) =>
      ({
        hash: h,
        files: files.map((path) => ({
          path,
          size: 1,
          wanted: true,
          priority: 'normal' as const,
          downloaded: 0,
        })),
      }) as unknown as TorrentStatus;
    const merged = mergeTorrentPieces([
      status(hash(1), ['a', 'b']),
      status(hash(1), ['c']),
      status(hash(2), []),
    ]);
    expect(merged.map((t) => [t.hash, t.files.map((f) => f.path)])).toEqual([
      [hash(1), ['a', 'b', 'c']],
      [hash(2), []],
    ]);
  });
});
