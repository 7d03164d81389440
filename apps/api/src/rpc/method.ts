import type { Logger } from '@bitween/runtime';
import type { z } from 'zod';
import type { Core } from '../core/index.js';
import { parseParams, type ParamSpec } from './params.js';

/** What the methods reach the rest of bitween through: the core (they keep no state of their own). */
export type RpcContext = Pick<Core, 'torrents' | 'friends' | 'daemon'> & {
  log: Logger;
  /** bitween's version (the api package's). */
  version: string;
};

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
