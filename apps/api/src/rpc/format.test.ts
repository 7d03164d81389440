import type { ContactShares, TorrentStatus } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { hashesResult, sharesResult, torrentResult } from './format.js';
import { HELD as H1, OFFERED as H2, downloading } from '../testing/peers.js';

const status = (over: Partial<TorrentStatus> = {}): TorrentStatus =>
  downloading({ uploaded: 10, uploadSpeed: 5, ...over });

describe('torrentResult', () => {
  it("gives the original's fields and ours", () => {
    expect(torrentResult(status())).toEqual({
      name: 'holiday',
      hash: H1,
      total_size: 1000,
      done: 250,
      files: [
        { path: 'holiday/a.jpg', size: 600 },
        { path: 'holiday/b.jpg', size: 400 },
      ],
      progress: 0.25,
      state: 'downloading',
      engine_id: 'e1',
      save_path: '/data',
      peers: 2,
      download_speed: 100,
      upload_speed: 5,
      uploaded: 10,
      error: null,
    });
  });

  it('has a null name and size and 0 done until the metadata is known', () => {
    const r = torrentResult(status({ name: null, size: null, progress: 0, state: 'metadata', files: [] }));
    expect(r).toMatchObject({ name: null, total_size: null, done: 0, files: [] });
  });

  it('rounds done to whole bytes and never exceeds the size', () => {
    expect(torrentResult(status({ size: 3, progress: 0.5 })).done).toBe(2);
    expect(torrentResult(status({ size: 1000, progress: 1 })).done).toBe(1000);
  });
});

const contacts: ContactShares[] = [
  {
    jid: 'alice@example.org',
    receivedAt: 1,
    resources: [
      {
        resource: 'laptop',
        online: true,
        endpoints: [
          { address: '203.0.113.5', port: 8000 },
          { address: '2001:db8::5', port: 8000 },
        ],
        shares: [{ hash: H1, name: 'holiday', size: 734003200 }],
      },
      {
        resource: 'server',
        online: true,
        endpoints: [{ address: '198.51.100.7', port: 8001 }],
        shares: [
          { hash: H2, name: 'backup.tar', size: 1048576 },
          { hash: H1, name: 'holiday', size: 734003200 },
        ],
      },
    ],
  },
  {
    jid: 'bob@example.net',
    receivedAt: 2,
    resources: [
      {
        resource: 'pc',
        online: true,
        // The same endpoint twice (address × port pairs can repeat) and alice's laptop address.
        endpoints: [
          { address: '203.0.113.5', port: 8000 },
          { address: '192.0.2.1', port: 6881 },
          { address: '192.0.2.1', port: 6881 },
        ],
        shares: [{ hash: H1, name: 'holiday', size: 734003200 }],
      },
    ],
  },
];

describe('sharesResult', () => {
  it('groups by JID and resource, splits endpoints by family and keys shares by hash', () => {
    expect(sharesResult(contacts)).toEqual({
      'alice@example.org': {
        laptop: {
          ip_v4: [['203.0.113.5', 8000]],
          ip_v6: [['2001:db8::5', 8000]],
          shares: { [H1]: { hash: H1, name: 'holiday', size: 734003200, files: null } },
        },
        server: {
          ip_v4: [['198.51.100.7', 8001]],
          ip_v6: [],
          shares: {
            [H2]: { hash: H2, name: 'backup.tar', size: 1048576, files: null },
            [H1]: { hash: H1, name: 'holiday', size: 734003200, files: null },
          },
        },
      },
      'bob@example.net': {
        pc: {
          ip_v4: [
            ['203.0.113.5', 8000],
            ['192.0.2.1', 6881],
            ['192.0.2.1', 6881],
          ],
          ip_v6: [],
          shares: { [H1]: { hash: H1, name: 'holiday', size: 734003200, files: null } },
        },
      },
    });
  });

  it('is empty without contacts, and keeps a contact without resources', () => {
    expect(sharesResult([])).toEqual({});
    expect(sharesResult([{ jid: 'carol@example.com', receivedAt: 0, resources: [] }])).toEqual({
      'carol@example.com': {},
    });
  });

  it('treats a resource named __proto__ as an ordinary key', () => {
    const r = sharesResult([
      {
        jid: 'eve@example.com',
        receivedAt: 0,
        resources: [{ resource: '__proto__', online: true, endpoints: [], shares: [] }],
      },
    ]);
    const eve = r['eve@example.com'] ?? {};
    expect(Object.keys(eve)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(eve)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('hashesResult', () => {
  it('lists every offered hash with the de-duplicated union of its endpoints', () => {
    expect(hashesResult(contacts)).toEqual({
      [H1]: [
        ['203.0.113.5', 8000],
        ['2001:db8::5', 8000],
        ['198.51.100.7', 8001],
        ['192.0.2.1', 6881],
      ],
      [H2]: [['198.51.100.7', 8001]],
    });
  });

  it('lists a hash even when nobody offering it has an endpoint', () => {
    expect(
      hashesResult([
        {
          jid: 'a@b.c',
          receivedAt: 0,
          resources: [
            { resource: 'r', online: true, endpoints: [], shares: [{ hash: H2, name: 'x', size: 1 }] },
          ],
        },
      ]),
    ).toEqual({ [H2]: [] });
  });
});
