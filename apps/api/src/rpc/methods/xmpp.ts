import { BusError, type ContactShares } from '@bitween/messages';
import { fromBusError } from '../errors.js';
import { hashesResult, sharesResult } from '../format.js';
import { RawJson } from '../raw.js';
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
    // Serialised once per change of the contacts' lists (50,000 shares are several MB).
    method('xmpp.get_shares', noParams, async (): Promise<RawJson> =>
      derived(
        'xmpp.get_shares',
        (contacts) => new RawJson(JSON.stringify({ shares: sharesResult(contacts) })),
      ),
    ),
    method('xmpp.get_hashes', noParams, async (): Promise<RawJson> =>
      derived(
        'xmpp.get_hashes',
        (contacts) => new RawJson(JSON.stringify({ hashes: hashesResult(contacts) })),
      ),
    ),
  ];
}
