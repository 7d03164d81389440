/**
 * The gateway refuses to run without its patches to the XMPP library (patches/@xmpp+*, applied
 * by patch-package in npm's postinstall; patches/README.md): `npm ci --ignore-scripts` installs
 * the packages without them and nothing else would notice. The check itself is libs/runtime's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPatchesApplied as assertApplied, type PatchMarker } from '@bitween/runtime';

/** One entry per `@xmpp+*` file in patches/ (patches-applied.test.ts keeps the two in step). */
export const PATCH_MARKERS: readonly PatchMarker[] = [
  {
    patch: '@xmpp+iq+0.14.0.patch',
    pkg: '@xmpp/iq',
    via: ['@xmpp/client'],
    files: [{ file: 'caller.js', marker: 'deferred.promise.catch(() => {});' }],
  },
];

/** Throw, naming each missing patch and the fix, unless every patch the gateway loads is applied. */
export function assertPatchesApplied(
  markers: readonly PatchMarker[] = PATCH_MARKERS,
  fromDir: string = path.dirname(fileURLToPath(import.meta.url)),
): void {
  assertApplied(markers, fromDir);
}
