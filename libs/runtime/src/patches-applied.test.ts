import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertPatchesApplied,
  missingPatches,
  patchMarkerDrift,
  type PatchMarker,
} from './patches-applied.js';

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('missing patches', () => {
  const marker: PatchMarker = {
    patch: 'host+1.0.0.patch',
    pkg: 'inner',
    via: ['host'],
    files: [{ file: 'lib/a.js', marker: 'const PATCHED = true' }],
  };
  const fakePackage = async (
    at: string,
    name: string,
    version: string,
    files: Record<string, string> = {},
  ) => {
    await mkdir(at, { recursive: true });
    await writeFile(path.join(at, 'package.json'), JSON.stringify({ name, version }));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(at, file)), { recursive: true });
      await writeFile(path.join(at, file), text);
    }
  };
  const app = () => path.join(dir, 'apps', 'engine', 'dist');
  const innerMarker = { ...marker, patch: 'inner+1.0.0.patch' };

  it('accepts a patched copy and refuses an unpatched one, naming the patch, the file and the fix', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patches-'));
    await mkdir(app(), { recursive: true });
    await fakePackage(path.join(dir, 'node_modules', 'host'), 'host', '1.0.0');
    const inner = path.join(dir, 'node_modules', 'inner');
    await fakePackage(inner, 'inner', '1.0.0', { 'lib/a.js': 'const PATCHED = true\n' });
    expect(missingPatches([innerMarker], app())).toEqual([]);

    await writeFile(path.join(inner, 'lib/a.js'), 'const PATCHED = false\n');
    expect(missingPatches([innerMarker], app())).toEqual([
      {
        patch: 'inner+1.0.0.patch',
        reason: `${path.join(inner, 'lib/a.js')} does not have the patch's change`,
      },
    ]);
    expect(() => assertPatchesApplied([innerMarker], app())).toThrow(
      /patches\/inner\+1\.0\.0\.patch: .*lib\/a\.js does not have the patch's change.*`npm ci` \(not --ignore-scripts\).*npx patch-package/,
    );
  });

  it('checks the copy the outer package loads (a nested node_modules first)', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patches-'));
    await mkdir(app(), { recursive: true });
    const host = path.join(dir, 'node_modules', 'host');
    await fakePackage(host, 'host', '1.0.0');
    await fakePackage(path.join(dir, 'node_modules', 'inner'), 'inner', '1.0.0', {
      'lib/a.js': 'const PATCHED = true\n',
    });
    // The host has its own (unpatched) copy: that one is what it loads.
    await fakePackage(path.join(host, 'node_modules', 'inner'), 'inner', '1.0.0', {
      'lib/a.js': 'original\n',
    });
    expect(missingPatches([innerMarker], app()).map((m) => m.patch)).toEqual(['inner+1.0.0.patch']);
  });

  it('refuses another version of the package than the patch is for, and a package not installed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'patches-'));
    await mkdir(app(), { recursive: true });
    await fakePackage(path.join(dir, 'node_modules', 'host'), 'host', '1.0.0');
    await fakePackage(path.join(dir, 'node_modules', 'inner'), 'inner', '1.0.1', {
      'lib/a.js': 'const PATCHED = true\n',
    });
    expect(missingPatches([innerMarker], app())[0]?.reason).toMatch(
      /inner 1\.0\.1 is installed at .*, the patch is for 1\.0\.0/,
    );
    expect(missingPatches([{ ...innerMarker, pkg: 'absent' }], app())[0]?.reason).toMatch(
      /absent is not installed/,
    );
  });
});

describe('patchMarkerDrift', () => {
  const patchText = (files: Record<string, string>) =>
    Object.entries(files)
      .map(([file, added]) => `diff --git a/node_modules/pkg/${file} b/node_modules/pkg/${file}\n+${added}\n`)
      .join('');
  const entry = (files: Record<string, string>): PatchMarker => ({
    patch: 'pkg+1.0.0.patch',
    pkg: 'pkg',
    via: [],
    files: Object.entries(files).map(([file, marker]) => ({ file, marker })),
  });

  it('finds nothing when the entries match the patches a service owns', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'drift-'));
    await writeFile(path.join(dir, 'pkg+1.0.0.patch'), patchText({ 'a.js': 'const A = 1' }));
    await writeFile(path.join(dir, 'other+2.0.0.patch'), patchText({ 'b.js': 'x' }));
    const owns = (f: string) => f.startsWith('pkg+');
    expect(patchMarkerDrift([entry({ 'a.js': 'const A = 1' })], dir, owns)).toEqual([]);
  });

  it('names every disagreement: a patch without an entry, an entry without a patch, files and markers', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'drift-'));
    await writeFile(path.join(dir, 'pkg+1.0.0.patch'), patchText({ 'a.js': 'const A = 1', 'b.js': 'B' }));
    await writeFile(path.join(dir, 'extra+1.0.0.patch'), patchText({ 'c.js': 'C' }));
    const gone: PatchMarker = { ...entry({}), patch: 'gone+1.0.0.patch' };
    expect(
      patchMarkerDrift([entry({ 'a.js': 'not added', 'z.js': 'Z' }), gone], dir, () => true).sort(),
    ).toEqual(
      [
        'extra+1.0.0.patch: no marker entry',
        `gone+1.0.0.patch: listed, but not in ${dir}`,
        'pkg+1.0.0.patch: changes b.js, which has no marker',
        'pkg+1.0.0.patch: a marker for z.js, which it does not change',
        'pkg+1.0.0.patch: the marker of a.js is not text the patch adds',
        'pkg+1.0.0.patch: the marker of z.js is not text the patch adds',
      ].sort(),
    );
  });
});
