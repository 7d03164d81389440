import { z } from 'zod';
import { torrentResult } from '../format.js';
import { RawJson } from '../raw.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { absolutePath, infoHash, noParams, optionalAbsolutePath, params } from '../params.js';

/**
 * `bt.*`: the torrents of every live engine, through the core (core/torrents.ts: the same owner
 * lookup, idempotent add and removal as REST and Transmission). The core's errors are mapped in
 * one place (errors.ts `fromCoreError`).
 */
export function btMethods({ torrents }: RpcContext): RpcMethod[] {
  return [
    /**
     * Every torrent of every live engine, asked in parallel. An engine that does not answer is
     * logged and left out (the others are still listed); no live engine gives an empty list.
     * Serialised once per change of the listing (a 1,000-torrent answer is ~300 KB).
     */
    method('bt.get_torrents', noParams, (): Promise<RawJson> =>
      torrents.derived(
        'bt.get_torrents',
        (s) => new RawJson(JSON.stringify({ torrents: s.torrents.map(torrentResult) })),
      ),
    ),

    /**
     * Share a file or folder on the daemon's host (any engine takes it: queue group). Hashing a
     * large folder takes long, hence its own timeout. The original answered `false` on failure;
     * we answer a JSON-RPC error carrying the engine's reason (-32010 failed, -32004 not found),
     * because a frontend needs to tell the user why.
     */
    method('bt.add_path', params(z.strictObject({ path: absolutePath() }), ['path']), async ({ path }) => {
      await torrents.addPath(path);
      return true;
    }),

    /**
     * Start downloading a friend's share. Idempotent: when a live engine already holds the hash
     * the answer is `true` without adding (even if `save_path` differs: the torrent stays where it is).
     */
    method(
      'bt.add_torrent_by_hash',
      params(z.strictObject({ hash: infoHash(), save_path: optionalAbsolutePath() }), ['hash', 'save_path']),
      async ({ hash, save_path }) => {
        await torrents.addHash(hash, { savePath: save_path });
        return true;
      },
    ),

    /**
     * Remove a torrent (files stay) from every live engine that holds it, also one the registry
     * does not list yet. No owner at all, or only not_found answers, is -32004.
     */
    method('bt.del_torrent', params(z.strictObject({ hash: infoHash() }), ['hash']), async ({ hash }) => {
      await torrents.remove(hash, false);
      return true;
    }),
  ];
}
