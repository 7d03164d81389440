import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { startScript, type ScriptProcess } from './service.js';

const script = fileURLToPath(new URL('../fixtures/lt-peer.py', import.meta.url));

/**
 * A real libtorrent peer (Debian python3-libtorrent, /usr/bin/python3): `seed` a file or
 * `leech` a bare magnet from one peer. See fixtures/lt-peer.py for the environment it takes (the
 * benchmarks start the same script: bench/lib/procs.mjs).
 */
export function startLibtorrent(
  cleanup: Cleanup,
  opts: {
    label: string;
    env:
      | { MODE: 'seed'; FILE: string; PIECE_LENGTH?: string; TORRENT?: string; BIND?: string }
      | { MODE: 'leech'; HASH: string; PEER: string; SAVE: string; BIND?: string };
  },
): Promise<ScriptProcess> {
  return startScript(cleanup, { label: opts.label, script, env: opts.env, interpreter: '/usr/bin/python3' });
}
