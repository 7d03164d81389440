import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPatchesApplied, missingPatches, PATCH_MARKERS, type PatchMarker } from './patches-applied.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

describe('patch markers', () => {
  it('has one entry per patch in patches/, and a marker for every file each patch changes', async () => {
    // The XMPP library's patches are the gateway's (apps/xmpp-gateway/src/patches-applied.ts).
    const patches = (await readdir(path.join(repoRoot, 'patches'))).filter(
      (f) => f.endsWith('.patch') && !f.startsWith('@xmpp+'),
    );
    expect(PATCH_MARKERS.map((m) => m.patch).sort()).toEqual(patches.sort());
    for (const m of PATCH_MARKERS) {
      const text = await readFile(path.join(repoRoot, 'patches', m.patch), 'utf8');
      const files = [...text.matchAll(/^diff --git a\/node_modules\/(?:@[^/]+\/)?[^/]+\/(\S+) /gm)].map(
        (x) => x[1],
      );
      expect(m.files.map((f) => f.file).sort(), m.patch).toEqual(files.sort());
      // Each marker is text the patch adds (not text the package already had).
      for (const { marker } of m.files) {
        const added = text.split('\n').some((l) => l.startsWith('+') && l.includes(marker));
        expect(added, `${m.patch}: ${marker}`).toBe(true);
      }
    }
  });

  it('finds every patch applied in this checkout (installed by npm ci with its postinstall)', () => {
    expect(missingPatches(PATCH_MARKERS, here)).toEqual([]);
    expect(() => assertPatchesApplied()).not.toThrow();
  });
});

describe('missing patches', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

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
