import { describe, expect, it } from 'vitest';
import { contentTypeOf, parseRange } from './http-range.js';
import { LinkSigner } from './link-token.js';

describe('parseRange', () => {
  it('reads one bytes range, open-ended and suffix ranges', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=90-1000', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
  });
  it('refuses ranges past the end (416) and ignores what it does not serve', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=x-1', 100)).toEqual({ kind: 'full' });
  });
});

describe('contentTypeOf', () => {
  it('knows media types and falls back to octet-stream (never a type a browser would run)', () => {
    expect(contentTypeOf('Holiday.MP4')).toBe('video/mp4');
    expect(contentTypeOf('a.flac')).toBe('audio/flac');
    expect(contentTypeOf('page.html')).toBe('application/octet-stream');
    expect(contentTypeOf('logo.svg')).toBe('application/octet-stream');
    expect(contentTypeOf('README')).toBe('application/octet-stream');
  });
});

describe('LinkSigner', () => {
  const hash = 'ab'.repeat(20);
  const signer = new LinkSigner('the-api-key-of-this-daemon');
  it('accepts its token for that file until it expires', () => {
    const token = signer.mint(hash, 3, Date.now() + 60_000);
    expect(signer.verify(token, hash, 3)).toBe(true);
    expect(signer.verify(token, hash, 4)).toBe(false);
    expect(signer.verify(token, 'cd'.repeat(20), 3)).toBe(false);
    expect(signer.verify(token, hash, 3, Date.now() + 61_000)).toBe(false);
  });
  it('refuses tokens of another key, altered expiries and garbage', () => {
    const token = signer.mint(hash, 0, Date.now() + 60_000);
    expect(new LinkSigner('another-api-key-entirely').verify(token, hash, 0)).toBe(false);
    const [exp, mac] = token.split('.') as [string, string];
    expect(signer.verify(`${Number(exp) + 1000}.${mac}`, hash, 0)).toBe(false);
    expect(signer.verify('', hash, 0)).toBe(false);
    expect(signer.verify('1.2', hash, 0)).toBe(false);
  });
});
