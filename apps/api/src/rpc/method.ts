import type { Bus, EngineRegistry, RegisteredEngine } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import type { z } from 'zod';
import type { SharesView, TorrentsView } from '../cluster/views.js';
import type { ApiConfig } from '../config.js';
import { RpcCode, rpcError } from './errors.js';
import { parseParams, type ParamSpec } from './params.js';

/** The engines registry as the api uses it (read-only). */
export type Registry = Pick<EngineRegistry, 'live' | 'watch'>;

/** What the methods reach the rest of bitween through; the api keeps no state of its own. */
export interface RpcContext {
  bus: Bus;
  registry: Registry;
  log: Logger;
  config: ApiConfig;
  /** bitween's version (the api package's). */
  version: string;
  /** Cached listings (see cluster/views.ts); mutations invalidate `torrents`. */
  views: { torrents: TorrentsView; shares: SharesView };
}

export interface RpcMethod {
  readonly name: string;
  /** Validate the raw JSON-RPC params, then run; throws `JSONRPCErrorException`s. */
  call(rawParams: unknown): Promise<unknown>;
}

export function method<S extends z.ZodObject>(
  name: string,
  spec: ParamSpec<S>,
  run: (params: z.output<S>) => Promise<unknown>,
): RpcMethod {
  return { name, call: (raw) => run(parseParams(spec, raw)) };
}

/** Live engines from the KV registry; a registry that cannot be read is a -32001. */
export async function liveEngines(ctx: RpcContext): Promise<RegisteredEngine[]> {
  try {
    return await ctx.registry.live();
  } catch (err) {
    ctx.log.warn({ err }, 'engine registry unreadable');
    throw rpcError(RpcCode.Unavailable, `service unavailable: engine registry: ${(err as Error).message}`, {
      code: 'unavailable',
    });
  }
}
