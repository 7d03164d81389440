import { hashesResult, sharesResult } from '../format.js';
import { RawJson } from '../raw.js';
import { method, type RpcContext, type RpcMethod } from '../method.js';
import { noParams } from '../params.js';

/** `xmpp.*`: what friends share, as the gateway last received it. */
export function xmppMethods({ friends }: RpcContext): RpcMethod[] {
  return [
    // Serialised once per change of the contacts' lists (50,000 shares are several MB).
    method('xmpp.get_shares', noParams, (): Promise<RawJson> =>
      friends.derived(
        'xmpp.get_shares',
        (contacts) => new RawJson(JSON.stringify({ shares: sharesResult(contacts) })),
      ),
    ),
    method('xmpp.get_hashes', noParams, (): Promise<RawJson> =>
      friends.derived(
        'xmpp.get_hashes',
        (contacts) => new RawJson(JSON.stringify({ hashes: hashesResult(contacts) })),
      ),
    ),
  ];
}
