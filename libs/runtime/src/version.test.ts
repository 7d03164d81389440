import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageVersion } from './version.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('packageVersion', () => {
  it("reads the version of this module's package", () => {
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(packageVersion(import.meta.url)).toBe(manifest.version);
  });

  it('reads a package.json at another relative place, and falls back when there is none', () => {
    expect(
      packageVersion(new URL('../../../node_modules/zod/index.js', import.meta.url).href, './package.json'),
    ).toBe('4.6.7');
    expect(packageVersion('file:///nonexistent/dir/x.js')).toBe('0.0.0');
  });
});
