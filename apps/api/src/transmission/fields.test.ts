import type { TorrentStatus } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { TORRENT_FIELDS, TrStatus, magnetLink, torrentObject, trStatus } from './fields.js';
import { fileSelection } from './file-selection.js';
import { select } from './selection.js';
import { limitOf } from './speed-limit.js';
import { sourceOf } from './torrent-add.js';
import { TrError } from './protocol.js';
import { HELD as H1, OFFERED as H2, downloading } from '../testing/peers.js';

const status = (over: Partial<TorrentStatus> = {}): TorrentStatus =>
  downloading({
    uploaded: 500,
    files: [
      { path: 'holiday/a.jpg', size: 600, wanted: true, priority: 'high', downloaded: 250 },
      { path: 'holiday/b.jpg', size: 400, wanted: false, priority: 'low', downloaded: 0 },
    ],
    addedAt: 1_700_000_000_500,
    eta: 7,
    downloadLimit: 50_000,
    ...over,
  });
const ctx = { id: 3, now: 1_800_000_000, position: 0 };

describe('torrentObject', () => {
  it('gives the fields transmission-remote -l asks for', () => {
    const fields = [
      'id',
      'name',
      'status',
      'eta',
      'error',
      'errorString',
      'isFinished',
      'leftUntilDone',
      'peersGettingFromUs',
      'peersSendingToUs',
      'rateDownload',
      'rateUpload',
      'sizeWhenDone',
      'uploadRatio',
      'percentDone',
    ];
    expect(torrentObject(status(), fields, ctx)).toEqual({
      id: 3,
      name: 'holiday',
      status: TrStatus.Download,
      eta: 7,
      error: 0,
      errorString: '',
      isFinished: false,
      leftUntilDone: 350, // only the wanted file counts
      peersGettingFromUs: 0,
      peersSendingToUs: 2,
      rateDownload: 100,
      rateUpload: 0,
      sizeWhenDone: 600,
      uploadRatio: 2,
      percentDone: 0.25,
    });
  });

  it('maps files, selection, limits and dates', () => {
    const o = torrentObject(
      status(),
      [
        'files',
        'fileStats',
        'wanted',
        'priorities',
        'downloadLimit',
        'downloadLimited',
        'uploadLimited',
        'addedDate',
        'hashString',
        'totalSize',
        'haveValid',
      ],
      ctx,
    );
    expect(o).toEqual({
      files: [
        { name: 'holiday/a.jpg', length: 600, bytesCompleted: 250 },
        { name: 'holiday/b.jpg', length: 400, bytesCompleted: 0 },
      ],
      fileStats: [
        { bytesCompleted: 250, wanted: true, priority: 1 },
        { bytesCompleted: 0, wanted: false, priority: -1 },
      ],
      wanted: [1, 0],
      priorities: [1, -1],
      downloadLimit: 50,
      downloadLimited: true,
      uploadLimited: false,
      addedDate: 1_700_000_000,
      hashString: H1,
      totalSize: 1000,
      haveValid: 250,
    });
  });

  it('answers every Transmission field and leaves unknown names (and __proto__) out', () => {
    const o = torrentObject(status(), [...TORRENT_FIELDS, 'noSuchField', '__proto__', 'constructor'], ctx);
    expect(Object.keys(o).sort()).toEqual([...TORRENT_FIELDS].sort());
    expect(TORRENT_FIELDS.length).toBeGreaterThan(70);
    expect(JSON.parse(JSON.stringify(o))).toEqual(o);
  });

  it('has neutral values before the metadata is known', () => {
    const o = torrentObject(
      status({ name: null, size: null, files: [], state: 'metadata', progress: 0, eta: null }),
      ['name', 'totalSize', 'sizeWhenDone', 'leftUntilDone', 'metadataPercentComplete', 'eta', 'status'],
      ctx,
    );
    expect(o).toEqual({
      name: H1,
      totalSize: 0,
      sizeWhenDone: 0,
      leftUntilDone: 0,
      metadataPercentComplete: 0,
      eta: -1,
      status: TrStatus.Download,
    });
  });

  it('reports an engine error as a local error, stopped', () => {
    const o = torrentObject(
      status({ state: 'error', error: 'disk full' }),
      ['status', 'error', 'errorString'],
      ctx,
    );
    expect(o).toEqual({ status: TrStatus.Stopped, error: 3, errorString: 'disk full' });
  });
});

describe('trStatus', () => {
  it('maps every bitween state', () => {
    expect(trStatus(status({ state: 'paused' }))).toBe(0);
    expect(trStatus(status({ state: 'checking' }))).toBe(2);
    expect(trStatus(status({ state: 'queued' }))).toBe(3);
    expect(trStatus(status({ state: 'queued', done: true }))).toBe(5);
    expect(trStatus(status({ state: 'seeding' }))).toBe(6);
  });
});

describe('magnetLink', () => {
  it('carries the hash, name and trackers', () => {
    expect(
      magnetLink(
        status({
          name: 'a b',
          trackers: [{ url: 'udp://t.example:80', state: 'idle', message: null, lastAnnounceAt: null }],
        }),
      ),
    ).toBe(`magnet:?xt=urn:btih:${H1}&dn=a%20b&tr=udp%3A%2F%2Ft.example%3A80`);
  });
});

describe('select', () => {
  const a = status({ hash: H1, downloadSpeed: 0, state: 'seeding' });
  const b = status({ hash: H2, state: 'downloading' });
  const listing = {
    torrents: [a, b],
    ids: new Map([
      [H1, 1],
      [H2, 2],
    ]),
  };

  it('takes ids as numbers, hashes (any case), lists, all, or recently-active', () => {
    expect(select(undefined, listing)).toEqual([a, b]);
    expect(select(2, listing)).toEqual([b]);
    expect(select(H1.toUpperCase(), listing)).toEqual([a]);
    expect(select([1, H2, 99, 'nope'], listing)).toEqual([a, b]);
    expect(select('recently-active', listing)).toEqual([b]);
    expect(select([], listing)).toEqual([]);
  });
});

describe('sourceOf', () => {
  it('tells magnets, hashes, URLs and paths apart', () => {
    expect(
      sourceOf(`magnet:?xt=urn:btih:${H1.toUpperCase()}&tr=udp%3A%2F%2Ft.example%3A80&tr=javascript:x`),
    ).toEqual({
      kind: 'hash',
      hash: H1,
      trackers: ['udp://t.example:80'],
    });
    expect(sourceOf(H2)).toEqual({ kind: 'hash', hash: H2, trackers: [] });
    expect(sourceOf('https://example.org/a.torrent')).toMatchObject({ kind: 'url' });
    expect(sourceOf('/srv/a.torrent')).toEqual({ kind: 'path', path: '/srv/a.torrent' });
  });

  it('refuses what it cannot take', () => {
    expect(() => sourceOf('magnet:?xt=urn:btmh:1220abc')).toThrow(TrError);
    expect(() => sourceOf('relative.torrent')).toThrow(/absolute path/);
    expect(() => sourceOf('ftp://example.org/a.torrent')).toThrow(TrError);
  });
});

describe('fileSelection', () => {
  const t = status();
  it('maps wanted and unwanted indices; an empty files-wanted means every file', () => {
    expect(fileSelection(t, { 'files-wanted': [1], 'files-unwanted': [0] })).toEqual([
      { index: 1, wanted: true },
      { index: 0, wanted: false },
    ]);
    expect(fileSelection(t, { 'files-wanted': [] })).toEqual([
      { index: 0, wanted: true },
      { index: 1, wanted: true },
    ]);
  });
  it('maps priority-high / -normal / -low, one change per file; an empty list means every file', () => {
    expect(fileSelection(t, { 'priority-high': [1], 'files-unwanted': [1], 'priority-low': [0] })).toEqual([
      { index: 1, wanted: false, priority: 'high' },
      { index: 0, priority: 'low' },
    ]);
    expect(fileSelection(t, { 'priority-normal': [] })).toEqual([
      { index: 0, priority: 'normal' },
      { index: 1, priority: 'normal' },
    ]);
    // As Transmission applies them: high, low, then normal.
    expect(fileSelection(t, { 'priority-normal': [0], 'priority-low': [], 'priority-high': [1] })).toEqual([
      { index: 1, priority: 'low' },
      { index: 0, priority: 'normal' },
    ]);
  });
  it('refuses an index past the last file', () => {
    expect(() => fileSelection(t, { 'files-wanted': [2] })).toThrow(/file index 2 out of range/);
    expect(() => fileSelection(t, { 'priority-high': [2] })).toThrow(/file index 2 out of range/);
  });
});

describe('limitOf', () => {
  it("follows Transmission's value + enabled pair, in kB/s", () => {
    expect(limitOf(null, 100, true)).toBe(100_000);
    expect(limitOf(50_000, undefined, true)).toBe(50_000);
    expect(limitOf(50_000, 80, undefined)).toBe(80_000);
    expect(limitOf(null, 80, undefined)).toBeUndefined();
    expect(limitOf(50_000, 80, false)).toBeNull();
    expect(limitOf(null, undefined, undefined)).toBeUndefined();
  });
  it('refuses a limit of 0 or an enabled limit without a value', () => {
    expect(() => limitOf(null, 0, true)).toThrow(/0 is not supported/);
    expect(() => limitOf(null, undefined, true)).toThrow(/needs a value/);
  });
});
