import { xmpp } from '@bitween/messages';
import { unwrap } from '../errors.js';
import { hashesResult, sharesResult, type HashesResult, type SharesResult } from '../format.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { noParams } from '../params.js';

/** `xmpp.*`: what friends share, as the gateway last received it. */
export function xmppMethods(ctx: RpcContext): RpcMethod[] {
  const { bus, config } = ctx;
  const contacts = async () =>
    unwrap(await bus.request(xmpp.shares, {}, { timeoutMs: config.BITWEEN_DEFAULT_TIMEOUT_MS })).contacts;

  return [
    method('xmpp.get_shares', noParams, async (): Promise<{ shares: SharesResult }> => ({
      shares: sharesResult(await contacts()),
    })),
    method('xmpp.get_hashes', noParams, async (): Promise<{ hashes: HashesResult }> => ({
      hashes: hashesResult(await contacts()),
    })),
  ];
}
