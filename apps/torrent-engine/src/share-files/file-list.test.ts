import { describe, expect, it } from 'vitest';
import { fileListOf } from './file-list.js';

const HASH = 'a'.repeat(40);
const enc = (s: string) => new TextEncoder().encode(s);

/** A multi-file `info` dictionary as bencode decodes it (names as bytes). */
function multi(name: string, files: { path: string[]; length: number }[]) {
  return { name: enc(name), files: files.map((f) => ({ path: f.path.map(enc), length: f.length })) };
}

describe('fileListOf', () => {
  it('lists a multi-file torrent inside its folder, with sizes and totals', () => {
    const r = fileListOf(
      HASH,
      multi('Album', [
        { path: ['01 intro.flac'], length: 10 },
        { path: ['scans', 'cover.jpg'], length: 5 },
      ]),
      'friend',
    );
    expect(r).toEqual({
      ok: true,
      list: {
        hash: HASH,
        name: 'Album',
        files: [
          { path: '01 intro.flac', size: 10 },
          { path: 'scans/cover.jpg', size: 5 },
        ],
        totalFiles: 2,
        totalBytes: 15,
        truncated: false,
        from: 'friend',
      },
    });
  });

  it('lists a single-file torrent by its name', () => {
    const r = fileListOf(HASH, { name: enc('clip.mp4'), length: 42 }, 'held');
    expect(r.ok && r.list.files).toEqual([{ path: 'clip.mp4', size: 42 }]);
  });

  it('refuses a list with ".." as a name, saying so', () => {
    const r = fileListOf(HASH, multi('x', [{ path: ['..', 'etc', 'passwd'], length: 1 }]), 'friend');
    expect(r).toEqual({
      ok: false,
      reason: expect.stringMatching(/^refused: .*"\.\." as a name/) as unknown,
    });
  });

  it('refuses a bidi override (a name that reads as another extension)', () => {
    const r = fileListOf(HASH, multi('x', [{ path: ['rlo\u202Egpj.exe'], length: 1 }]), 'friend');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/bidi/);
  });

  it('refuses sizes that are not sizes and lists that cannot be read', () => {
    expect(fileListOf(HASH, multi('x', [{ path: ['a'], length: -1 }]), 'friend').ok).toBe(false);
    expect(fileListOf(HASH, { name: enc('x') }, 'friend').ok).toBe(false);
    expect(fileListOf(HASH, 'not a dictionary', 'friend').ok).toBe(false);
  });

  it('cleans what the policy keeps on disk but no one should see (LRM, zero width space)', () => {
    const r = fileListOf(HASH, multi('A\u200Blbum', [{ path: ['song\u200E.mp3'], length: 1 }]), 'friend');
    expect(r.ok && r.list).toMatchObject({ name: 'Album', files: [{ path: 'song.mp3' }] });
  });

  it('stops at the file cap, counting every file and byte', () => {
    const files = Array.from({ length: 20_000 }, (_, i) => ({ path: [`f${i}`], length: 3 }));
    const r = fileListOf(HASH, multi('many', files), 'friend', { files: 1000, pathBytes: 1 << 20 });
    expect(r.ok && r.list).toMatchObject({ totalFiles: 20_000, totalBytes: 60_000, truncated: true });
    expect(r.ok && r.list.files).toHaveLength(1000);
    expect(r.ok && r.list.files.at(-1)).toEqual({ path: 'f999', size: 3 });
  });

  it('stops at the path bytes cap', () => {
    const long = 'n'.repeat(200);
    const files = Array.from({ length: 50 }, (_, i) => ({ path: [`${long}${i}`], length: 1 }));
    const r = fileListOf(HASH, multi('long', files), 'friend', { files: 1000, pathBytes: 2100 });
    expect(r.ok && r.list.files).toHaveLength(10);
    expect(r.ok && r.list).toMatchObject({ truncated: true, totalFiles: 50 });
  });

  it('shortens a path deeper than one path may be', () => {
    const deep = Array.from({ length: 40 }, () => 'd'.repeat(200));
    const r = fileListOf(HASH, multi('deep', [{ path: deep, length: 1 }]), 'friend');
    expect(r.ok && r.list.files[0]!.path).toHaveLength(4096);
    expect(r.ok && r.list.files[0]!.path.endsWith('…')).toBe(true);
  });
});
