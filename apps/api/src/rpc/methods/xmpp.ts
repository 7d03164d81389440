import { BusError, type ContactShares } from '@bitween/messages';
import { fromBusError } from '../errors.js';
import { hashesResult, sharesResult, type HashesResult, type SharesResult } from '../format.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { noParams } from '../params.js';

/** `xmpp.*`: what friends share, as the gateway last received it. */
export function xmppMethods(ctx: RpcContext): RpcMethod[] {
  /** A derivation of the cached contacts list; a failed fetch is the bus error, mapped. */
  const derived = async <R>(key: string, derive: (contacts: ContactShares[]) => R): Promise<R> => {
    try {
      return await ctx.views.shares.memo(key, derive);
    } catch (err) {
      if (err instanceof BusError) throw fromBusError(err);
      throw err;
    }
  };

  return [
    method('xmpp.get_shares', noParams, async (): Promise<{ shares: SharesResult }> =>
      derived('xmpp.get_shares', (contacts) => ({ shares: sharesResult(contacts) })),
    ),
    method('xmpp.get_hashes', noParams, async (): Promise<{ hashes: HashesResult }> =>
      derived('xmpp.get_hashes', (contacts) => ({ hashes: hashesResult(contacts) })),
    ),
  ];
}
