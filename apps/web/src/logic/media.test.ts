import { describe, expect, it } from 'vitest';
import { absoluteLink, mediaKind } from './media.js';

describe('mediaKind', () => {
  it('tells video and audio by extension, any case', () => {
    expect(mediaKind('Films/Holiday.MP4')).toBe('video');
    expect(mediaKind('clip.webm')).toBe('video');
    expect(mediaKind('album/01 Intro.flac')).toBe('audio');
    expect(mediaKind('notes.txt')).toBeNull();
    expect(mediaKind('README')).toBeNull();
  });
});

describe('absoluteLink', () => {
  it('puts the link on the page origin', () => {
    expect(absoluteLink('/v1/torrents/ab/files/0/content?token=1.x', 'http://127.0.0.1:5000')).toBe(
      'http://127.0.0.1:5000/v1/torrents/ab/files/0/content?token=1.x',
    );
  });
});
