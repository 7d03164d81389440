import { describe, expect, it } from 'vitest';
import { crumbs, joinPath } from './paths.js';

describe('paths', () => {
  it('joins without doubling slashes', () => {
    expect(joinPath('/srv', 'a')).toBe('/srv/a');
    expect(joinPath('/', 'a')).toBe('/a');
  });
  it('crumbs start at the root that holds the path (the longest one)', () => {
    const roots = ['/srv', '/srv/music', '/data/downloads'];
    expect(crumbs(roots, '/srv/music/jazz/1959')).toEqual([
      { label: '/srv/music', path: '/srv/music' },
      { label: 'jazz', path: '/srv/music/jazz' },
      { label: '1959', path: '/srv/music/jazz/1959' },
    ]);
    expect(crumbs(roots, '/data/downloads')).toEqual([{ label: '/data/downloads', path: '/data/downloads' }]);
    expect(crumbs(roots, '/srv2/x')).toEqual([]);
  });
});
