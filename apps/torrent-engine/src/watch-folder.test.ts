import { describe, expect, it } from 'vitest';
import { ignoredName, topEntry } from './watch-folder.js';

describe('watch folder helpers', () => {
  it('maps any path below the folder to its top-level entry', () => {
    expect(topEntry('/w', '/w/album/disc1/01.flac')).toBe('album');
    expect(topEntry('/w', '/w/movie.mkv')).toBe('movie.mkv');
    expect(topEntry('/w', '/w')).toBeNull();
    expect(topEntry('/w', '/elsewhere/x')).toBeNull();
  });

  it('ignores hidden names and files that copy tools are still writing', () => {
    for (const n of [
      '.DS_Store',
      '.hidden',
      'a.part',
      'b.PARTIAL',
      'c.tmp',
      'd.crdownload',
      'e.!qB',
      'f.torrent.added',
    ])
      expect(ignoredName(n), n).toBe(true);
    for (const n of ['album', 'movie.mkv', 'x.torrent', 'part']) expect(ignoredName(n), n).toBe(false);
  });
});
