import { FILES_IN_REPLY, jsonBytes, pageBudget, type TorrentStatus } from '@bitween/messages';
import { describe, expect, it } from 'vitest';
import { boundedAdded, boundedStatus, filesPage } from './file-pages.js';

const status = (files: number, pathLength = 20): TorrentStatus =>
  ({
    hash: 'a'.repeat(40),
    files: Array.from({ length: files }, (_, i) => ({
      path: `d/${String(i).padStart(pathLength, '0')}`,
      size: i,
      wanted: true,
      priority: 'normal',
      downloaded: 0,
    })),
  }) as unknown as TorrentStatus;

describe('boundedStatus', () => {
  it('leaves a torrent of up to FILES_IN_REPLY files alone, and cuts a larger one with its count', () => {
    const small = status(FILES_IN_REPLY);
    expect(boundedStatus(small)).toBe(small);
    const big = boundedStatus(status(FILES_IN_REPLY + 1));
    expect(big.files).toHaveLength(FILES_IN_REPLY);
    expect(big.fileCount).toBe(FILES_IN_REPLY + 1);
    expect(boundedAdded({ torrent: status(5000), created: true })).toMatchObject({
      created: true,
      torrent: { fileCount: 5000 },
    });
  });
});

describe('filesPage', () => {
  it('pages through every file once, each page within the budget', () => {
    const all = status(30_000, 60);
    const seen: string[] = [];
    let pages = 0;
    for (let offset: number | null = 0; offset !== null; pages++) {
      const page = filesPage(all, offset, 1024 * 1024);
      expect(page.offset).toBe(offset);
      expect(page.fileCount).toBe(30_000);
      expect(page.files.reduce((n, f) => n + jsonBytes(f), 0)).toBeLessThanOrEqual(pageBudget(1024 * 1024));
      seen.push(...page.files.map((f) => f.path));
      offset = page.next;
    }
    expect(pages).toBeGreaterThan(2);
    expect(seen).toEqual(all.files.map((f) => f.path));
  });

  it('answers an empty last page past the end, and at least one file however small the budget', () => {
    expect(filesPage(status(3), 10, undefined)).toMatchObject({ offset: 3, files: [], next: null });
    expect(filesPage(status(0), 0, undefined)).toMatchObject({ fileCount: 0, files: [], next: null });
    const huge = status(2, 40_000);
    expect(filesPage(huge, 0, 16 * 1024)).toMatchObject({ next: 1 });
  });
});
