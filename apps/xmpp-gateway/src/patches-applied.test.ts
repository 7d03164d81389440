import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPatches, patchMarkerDrift } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { assertPatchesApplied, PATCH_MARKERS } from './patches-applied.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const patchesDir = path.resolve(here, '../../../patches');

describe('patch markers (the XMPP library)', () => {
  it('has one entry per @xmpp patch in patches/, and a marker the patch adds for every file it changes', () => {
    expect(patchMarkerDrift(PATCH_MARKERS, patchesDir, (f) => f.startsWith('@xmpp+'))).toEqual([]);
  });

  it('finds every patch applied in the copy the gateway loads', () => {
    expect(missingPatches(PATCH_MARKERS, here)).toEqual([]);
    expect(() => assertPatchesApplied()).not.toThrow();
  });
});
