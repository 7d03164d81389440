import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { startScript, type ScriptProcess } from './service.js';

const script = fileURLToPath(new URL('../fixtures/lt-peer.py', import.meta.url));

/**
 * A real libtorrent peer (Debian python3-libtorrent, /usr/bin/python3): `seed` a file or
 * `leech` a bare magnet from one peer, or a whole magnet URI alone (its `x.pe` peers). See
 * fixtures/lt-peer.py for the environment it takes (the benchmarks start the same script:
 * bench/lib/procs.mjs). `netns`: run it inside that network namespace (`ip netns exec`; the lab's).
 */
export function startLibtorrent(
  cleanup: Cleanup,
  opts: {
    label: string;
    env:
      | { MODE: 'seed'; FILE: string; PIECE_LENGTH?: string; TORRENT?: string; BIND?: string }
      | { MODE: 'leech'; HASH: string; PEER: string; SAVE: string; BIND?: string }
      | { MODE: 'leech'; MAGNET: string; SAVE: string; BIND?: string };
    netns?: string;
  },
): Promise<ScriptProcess> {
  if (opts.netns)
    return startScript(cleanup, {
      label: opts.label,
      script,
      env: opts.env,
      interpreter: '/usr/sbin/ip',
      nodeArgs: ['netns', 'exec', opts.netns, '/usr/bin/python3'],
    });
  return startScript(cleanup, { label: opts.label, script, env: opts.env, interpreter: '/usr/bin/python3' });
}
