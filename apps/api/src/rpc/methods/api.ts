import { RpcCode, rpcError } from '../errors.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { noParams } from '../params.js';

/** `Api.*`: about the daemon itself. */
export function apiMethods(ctx: RpcContext): RpcMethod[] {
  return [
    method('Api.versions', noParams, async () => ({
      bitween: ctx.version,
      node: process.version,
      services: await ctx.daemon.services(),
    })),
    /**
     * The original shut the daemon down. A frontend must not be able to stop the services, so
     * this answers -32010 and points at the service manager.
     */
    method('Api.exit', noParams, () =>
      Promise.reject(
        rpcError(
          RpcCode.Failed,
          'Api.exit is not supported: stop the daemon with its service manager (docker compose stop)',
          { code: 'failed' },
        ),
      ),
    ),
  ];
}
