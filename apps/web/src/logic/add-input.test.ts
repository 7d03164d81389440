import { describe, expect, it } from 'vitest';
import { isTorrentFile, parseAddInput } from './add-input.js';

const H = '0123456789abcdef0123456789abcdef01234567';

describe('parseAddInput', () => {
  it('takes magnet links with a v1 info-hash and bare hashes', () => {
    expect(parseAddInput(`  magnet:?xt=urn:btih:${H}&dn=film.mkv\n`)).toEqual({
      kind: 'magnet',
      magnet: `magnet:?xt=urn:btih:${H}&dn=film.mkv`,
    });
    expect(parseAddInput(H.toUpperCase())).toEqual({ kind: 'hash', hash: H });
  });

  it('refuses everything else', () => {
    for (const bad of [
      '',
      'hello',
      'magnet:?dn=nohash',
      `magnet:?xt=urn:btmh:${H}`,
      `https://example.org/?xt=urn:btih:${H}`,
      `magnet:?xt=urn:btih:${H} more words`,
      H.slice(1),
    ])
      expect(parseAddInput(bad), bad).toBeNull();
  });
});

describe('isTorrentFile', () => {
  it('by extension or type', () => {
    expect(isTorrentFile({ name: 'a.TORRENT', type: '' })).toBe(true);
    expect(isTorrentFile({ name: 'blob', type: 'application/x-bittorrent' })).toBe(true);
    expect(isTorrentFile({ name: 'a.txt', type: 'text/plain' })).toBe(false);
  });
});
