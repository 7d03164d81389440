import { createHash } from 'node:crypto';
import bencode from 'bencode';
import parseTorrent from 'parse-torrent';
import { describe, expect, it } from 'vitest';
import { badComponent, checkInfo, checkTorrentPaths, rawPaths } from './torrent-name-policy.js';

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
    ['next\u0085line', 'a NUL or control character'],
    ['csi\u009B31m', 'a NUL or control character'],
    ['rlo\u202Egpj.exe', 'a bidi control (U+202E) that changes how the name reads'],
    ['\u202Aembedded', 'a bidi control (U+202A) that changes how the name reads'],
    ['isolate\u2067\u05D0\u2069', 'a bidi control (U+2067) that changes how the name reads'],
  ])('refuses %j', (c, why) => expect(badComponent(c)).toBe(why));

  it.each([
    'Live: 2019?',
    'CON',
    'trailing.',
    'back\\slash',
    'ünïcødé 🎵',
    '..hidden',
    'x'.repeat(255),
    // Kept on disk (shown cleaned by the web UI and the CLI): bidi marks and invisible characters
    // that real names carry.
    'WhatsApp Chat with \u200E+1 555 0100.txt',
    '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.pdf',
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}.jpg',
    '\u05E9\u05DC\u05D5\u05DD.txt',
  ])('keeps %j', (c) => expect(badComponent(c)).toBeNull());
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

  it('quotes a name with a bidi override with the override made visible (the reason is shown)', () => {
    expect(checkTorrentPaths([['pics', 'rlo\u202Egpj.exe']])).toEqual({
      ok: false,
      reason:
        'file name "pics/rlo<U+202E>gpj.exe" has a bidi control (U+202E) that changes how the name reads',
    });
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

describe('a crafted .torrent at add time (engine.addTorrentFile checks checkInfo(parsed.info))', () => {
  /** A .torrent whose files are `paths` (each a list of name elements) under `name`. */
  const crafted = (name: string, paths: string[][]) =>
    new Uint8Array(
      bencode.encode({
        info: {
          name,
          'piece length': 16384,
          pieces: createHash('sha1').update('x').digest(),
          files: paths.map((path) => ({ length: 1, path })),
        },
      }),
    );

  it.each([
    ['..', [['..', 'evil']], /".." as a name/],
    ['abs', [['/etc/passwd']], /a "\/" inside a name/],
    ['slash', [['a/b']], /a "\/" inside a name/],
    ['..', [['x']], /".." as a name/],
  ])('refuses %j %j although parse-torrent hides it', async (name, paths, reason) => {
    const parsed = await parseTorrent(crafted(name, paths));
    // What parse-torrent hands on is already joined and normalised: no check of it can see the climb.
    expect(parsed.files?.every((f) => !f.path.split('/').includes('..'))).toBe(true);
    const names = checkInfo(parsed.info);
    expect(names.ok).toBe(false);
    if (!names.ok) expect(names.reason).toMatch(reason);
  });

  it('keeps an ordinary one', async () => {
    const parsed = await parseTorrent(crafted('album', [['cd1', '01.flac'], ['cover.jpg']]));
    expect(checkInfo(parsed.info)).toEqual({ ok: true });
  });
});
