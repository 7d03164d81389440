import { Svcm } from '@nats-io/services';
import type { NatsConnection } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import { RpcCode, rpcError } from '../errors.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { noParams } from '../params.js';

export interface ServiceSummary {
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
}

/**
 * Every NATS micro service that answers `$SRV.INFO` (engines, gateway): gathered until no new
 * answer came for `stallMs`, at most `maxWaitMs` when nobody answers. Never throws.
 */
export async function discoverServices(
  nc: NatsConnection,
  log: Logger,
  { maxWaitMs = 500, stallMs = 100 } = {},
): Promise<ServiceSummary[]> {
  const out: ServiceSummary[] = [];
  try {
    const infos = await new Svcm(nc).client({ strategy: 'stall', maxWait: maxWaitMs, stall: stallMs }).info();
    for await (const i of infos) {
      out.push({ name: i.name, id: i.id, version: i.version, metadata: i.metadata ?? {} });
    }
  } catch (err) {
    // No responders just means no service runs; anything else is worth a line.
    log.debug({ err }, 'service discovery ended early');
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** `Api.*`: about the daemon itself. */
export function apiMethods(ctx: RpcContext): RpcMethod[] {
  return [
    method('Api.versions', noParams, async () => ({
      bitween: ctx.version,
      node: process.version,
      services: await discoverServices(ctx.bus.nc, ctx.log),
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
