import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPatches } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { assertPatchesApplied, PATCH_MARKERS } from './patches-applied.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

describe('patch markers (the XMPP library)', () => {
  it('has one entry per @xmpp patch in patches/, and a marker the patch adds for every file it changes', async () => {
    const patches = (await readdir(path.join(repoRoot, 'patches'))).filter(
      (f) => f.startsWith('@xmpp+') && f.endsWith('.patch'),
    );
    expect(PATCH_MARKERS.map((m) => m.patch).sort()).toEqual(patches.sort());
    for (const m of PATCH_MARKERS) {
      const text = await readFile(path.join(repoRoot, 'patches', m.patch), 'utf8');
      const files = [...text.matchAll(/^diff --git a\/node_modules\/(?:@[^/]+\/)?[^/]+\/(\S+) /gm)].map(
        (x) => x[1],
      );
      expect(m.files.map((f) => f.file).sort(), m.patch).toEqual(files.sort());
      for (const { marker } of m.files) {
        const added = text.split('\n').some((l) => l.startsWith('+') && l.includes(marker));
        expect(added, `${m.patch}: ${marker}`).toBe(true);
      }
    }
  });

  it('finds every patch applied in the copy the gateway loads', () => {
    expect(missingPatches(PATCH_MARKERS, here)).toEqual([]);
    expect(() => assertPatchesApplied()).not.toThrow();
  });
});
