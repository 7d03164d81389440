import { describe, expect, it } from 'vitest';
import { packageVersion } from './version.js';

describe('packageVersion', () => {
  it("reads the version of this module's package", () => {
    expect(packageVersion(import.meta.url)).toBe('0.1.0');
  });

  it('reads a package.json at another relative place, and falls back when there is none', () => {
    expect(
      packageVersion(new URL('../../../node_modules/zod/index.js', import.meta.url).href, './package.json'),
    ).toBe('4.6.7');
    expect(packageVersion('file:///nonexistent/dir/x.js')).toBe('0.0.0');
  });
});
