/**
 * The engine refuses to run without its patches (patches/, applied by patch-package in npm's
 * postinstall): `npm ci --ignore-scripts` installs the packages without them and nothing else
 * would notice — the engine would run, slower, with a dial policy that never sees a dial and
 * files reported 75 % complete. Each patch adds code this module looks for (one marker per
 * patched file), in the copy of the package the engine really loads.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPatchesApplied as assertApplied, type PatchMarker } from '@bitween/runtime';

export { missingPatches, type PatchMarker } from '@bitween/runtime';

/**
 * One entry per file in patches/ but the gateway's (`@xmpp+*`, apps/xmpp-gateway/src/patches-applied.ts);
 * patches-applied.test.ts keeps the two in step.
 */
export const PATCH_MARKERS: readonly PatchMarker[] = [
  {
    patch: 'webtorrent+3.0.21.patch',
    pkg: 'webtorrent',
    via: [],
    files: [
      // The patch's newest change in each file, so that an install with an older patch is noticed too.
      { file: 'index.js', marker: 'this._torrentsByHashHash = new Map()' },
      { file: 'lib/file.js', marker: 'const fileEndInPiece =' },
      { file: 'lib/peer.js', marker: 'this.directReads = false' },
      { file: 'lib/torrent.js', marker: "this.client._scheduleTorrent('_rechoke', RECHOKE_INTERVAL" },
    ],
  },
  {
    patch: 'bittorrent-protocol+5.0.9.patch',
    pkg: 'bittorrent-protocol',
    via: ['webtorrent'],
    files: [
      { file: 'index.js', marker: 'const SLAB_SIZE = 256 * 1024' },
      { file: 'mse.js', marker: 'dhGroup ??= crypto.createDiffieHellman(' },
    ],
  },
  {
    patch: 'torrent-piece+4.0.1.patch',
    pkg: 'torrent-piece',
    via: ['webtorrent'],
    files: [{ file: 'index.js', marker: 'useBuffer (buffer) {' }],
  },
  {
    patch: 'immediate-chunk-store+2.2.0.patch',
    pkg: 'immediate-chunk-store',
    via: ['webtorrent'],
    files: [{ file: 'index.js', marker: 'buf = Uint8Array.prototype.slice.call(buf, offset, len + offset)' }],
  },
  {
    patch: 'throughput+1.0.2.patch',
    pkg: 'throughput',
    via: ['webtorrent'],
    files: [{ file: 'index.js', marker: 'const hasPerformance =' }],
  },
  {
    patch: '@thaunknown+simple-peer+10.1.2.patch',
    pkg: '@thaunknown/simple-peer',
    via: [],
    files: [{ file: 'lite.js', marker: '_coalesce (chunks) {' }],
  },
  {
    patch: '@nats-io+nats-core+3.4.0.patch',
    pkg: '@nats-io/nats-core',
    via: ['@bitween/runtime', '@nats-io/transport-node'],
    files: [
      { file: 'lib/parser.js', marker: 'new denobuffer_1.DenoBuffer(payloadBuffer(this.ma.size))' },
      { file: 'lib/protocol.js', marker: 'const buffers = this.outbound.buffers.splice(0);' },
    ],
  },
];

/** Throw, naming each missing patch and the fix, unless every patch the engine loads is applied. */
export function assertPatchesApplied(
  markers: readonly PatchMarker[] = PATCH_MARKERS,
  fromDir: string = path.dirname(fileURLToPath(import.meta.url)),
): void {
  assertApplied(markers, fromDir);
}
