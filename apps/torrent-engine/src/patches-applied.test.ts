import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchMarkerDrift } from '@bitween/runtime';
import { describe, expect, it } from 'vitest';
import { assertPatchesApplied, missingPatches, PATCH_MARKERS } from './patches-applied.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const patchesDir = path.resolve(here, '../../../patches');

describe('patch markers', () => {
  it('has one entry per patch in patches/, and a marker the patch adds for every file it changes', () => {
    // The XMPP library's patches are the gateway's (apps/xmpp-gateway/src/patches-applied.ts).
    expect(patchMarkerDrift(PATCH_MARKERS, patchesDir, (f) => !f.startsWith('@xmpp+'))).toEqual([]);
  });

  it('finds every patch applied in this checkout (installed by npm ci with its postinstall)', () => {
    expect(missingPatches(PATCH_MARKERS, here)).toEqual([]);
    expect(() => assertPatchesApplied()).not.toThrow();
  });
});
