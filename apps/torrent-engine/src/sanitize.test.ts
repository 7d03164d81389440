import { describe, expect, it } from 'vitest';
import { badComponent, checkInfo, checkTorrentPaths, rawPaths } from './sanitize.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('badComponent', () => {
  it.each([
    ['..', '".." as a name'],
    ['.', '"." as a name'],
    ['', 'an empty name'],
    ['a/b', 'a "/" inside a name'],
    ['a\0b', 'a NUL or control character'],
    ['bell\u0007', 'a NUL or control character'],
    ['x'.repeat(256), 'a name longer than 255 bytes'],
  ])('refuses %j', (c, why) => expect(badComponent(c)).toBe(why));

  it.each(['Live: 2019?', 'CON', 'trailing.', 'back\\slash', 'ünïcødé 🎵', '..hidden', 'x'.repeat(255)])(
    'keeps %j',
    (c) => expect(badComponent(c)).toBeNull(),
  );
});

describe('checkTorrentPaths', () => {
  it('names the offending path', () => {
    expect(
      checkTorrentPaths([
        ['album', 'a.flac'],
        ['album', '..', '..', 'evil'],
      ]),
    ).toEqual({
      ok: false,
      reason: 'file name "album/../../evil" has ".." as a name',
    });
    expect(checkTorrentPaths([['album', 'a.flac']])).toEqual({ ok: true });
  });
});

describe('duplicates', () => {
  it('refuse a torrent that names one file twice', () => {
    expect(
      checkTorrentPaths([
        ['t', 'a.txt'],
        ['t', 'a.txt'],
      ]),
    ).toMatchObject({
      ok: false,
      reason: /two files are both named "t\/a.txt"/,
    });
    expect(
      checkTorrentPaths([
        ['t', 'a?'],
        ['t', 'a*'],
      ]),
    ).toEqual({ ok: true });
  });
});

describe('rawPaths / checkInfo', () => {
  it('reads single- and multi-file info dictionaries, preferring the UTF-8 variants', () => {
    expect(rawPaths({ name: bytes('one.bin'), length: 3 })).toEqual([['one.bin']]);
    expect(
      rawPaths({
        name: bytes('x'),
        'name.utf-8': bytes('album'),
        files: [{ path: [bytes('d'), bytes('1')] }, { path: [bytes('2')], 'path.utf-8': [bytes('two')] }],
      }),
    ).toEqual([
      ['album', 'd', '1'],
      ['album', 'two'],
    ]);
  });

  it('refuses what parse-torrent would normalise away, and unreadable lists', () => {
    expect(checkInfo({ name: bytes('..'), files: [{ path: [bytes('a')] }] }).ok).toBe(false);
    expect(checkInfo({ name: bytes('ok'), files: [{ path: [bytes('/etc'), bytes('passwd')] }] }).ok).toBe(
      false,
    );
    expect(checkInfo({ name: bytes('ok'), files: [{ path: [] }] }).ok).toBe(false);
    expect(checkInfo({ name: bytes('ok'), files: 'nope' })).toEqual({
      ok: false,
      reason: 'the file list cannot be read',
    });
    expect(checkInfo(null).ok).toBe(false);
  });
});
