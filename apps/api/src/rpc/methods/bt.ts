import { engine } from '@bitween/messages';
import { z } from 'zod';
import { RpcCode, fromBusError, rpcError, unwrap } from '../errors.js';
import { torrentResult } from '../format.js';
import { RawJson } from '../raw.js';
import { liveEngines, method, type RpcContext, type RpcMethod } from '../method.js';
import { absolutePath, infoHash, noParams, optionalAbsolutePath, params } from '../params.js';

/** `bt.*`: the torrents of every live engine, found through the engines KV registry. */
export function btMethods(ctx: RpcContext): RpcMethod[] {
  const { bus, config, log } = ctx;
  const timeoutMs = config.BITWEEN_DEFAULT_TIMEOUT_MS;

  return [
    /**
     * Every torrent of every live engine, asked in parallel. An engine that does not answer is
     * logged and left out (the others are still listed); no live engine gives an empty list.
     */
    method('bt.get_torrents', noParams, async (): Promise<RawJson> => {
      let views;
      try {
        // Serialised once per change of the listing (a 1,000-torrent answer is ~300 KB).
        views = await ctx.views.torrents.memo(
          'bt.get_torrents',
          (s) => new RawJson(JSON.stringify({ torrents: s.torrents.map(torrentResult) })),
        );
      } catch (err) {
        log.warn({ err }, 'engine registry unreadable');
        throw rpcError(
          RpcCode.Unavailable,
          `service unavailable: engine registry: ${(err as Error).message}`,
          {
            code: 'unavailable',
          },
        );
      }
      return views;
    }),

    /**
     * Share a file or folder on the daemon's host (any engine takes it: queue group). Hashing a
     * large folder takes long, hence its own timeout. The original answered `false` on failure;
     * we answer a JSON-RPC error carrying the engine's reason (-32010 failed, -32004 not found),
     * because a frontend needs to tell the user why.
     */
    method('bt.add_path', params(z.strictObject({ path: absolutePath() }), ['path']), async ({ path }) => {
      const r = await bus.request(
        engine.addPath,
        { path },
        { timeoutMs: config.BITWEEN_ADD_PATH_TIMEOUT_MS },
      );
      ctx.views.torrents.invalidate();
      unwrap(r);
      return true;
    }),

    /**
     * Start downloading a friend's share. Idempotent: when a live engine already holds the hash
     * the answer is `true` without asking (even if `save_path` differs: the torrent stays where it is).
     */
    method(
      'bt.add_torrent_by_hash',
      params(z.strictObject({ hash: infoHash(), save_path: optionalAbsolutePath() }), ['hash', 'save_path']),
      async ({ hash, save_path }) => {
        const engines = await liveEngines(ctx);
        if (engines.some((e) => e.state.torrents.some((t) => t.hash === hash))) return true;
        const r = await bus.request(engine.addHash, save_path ? { hash, savePath: save_path } : { hash }, {
          timeoutMs,
        });
        ctx.views.torrents.invalidate();
        unwrap(r);
        return true;
      },
    ),

    /**
     * Remove a torrent (files stay) from every live engine that holds it. An owner that answers
     * not_found had already dropped it (the registry lags by up to a heartbeat); any other error
     * is returned. No owner at all, or only not_found answers, is -32004.
     */
    method('bt.del_torrent', params(z.strictObject({ hash: infoHash() }), ['hash']), async ({ hash }) => {
      const owners = (await liveEngines(ctx)).filter((e) => e.state.torrents.some((t) => t.hash === hash));
      const results = await Promise.all(
        owners.map(({ state: { engineId } }) =>
          bus.request(engine.remove, { hash }, { params: { engineId }, timeoutMs }),
        ),
      );
      ctx.views.torrents.invalidate();
      for (const r of results) if (!r.ok && r.error.code !== 'not_found') throw fromBusError(r.error);
      if (!results.some((r) => r.ok))
        throw rpcError(RpcCode.NotFound, `no torrent with hash ${hash}`, { code: 'not_found' });
      return true;
    }),
  ];
}
