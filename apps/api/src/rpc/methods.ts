import type { RpcContext, RpcMethod } from './method.js';
import { apiMethods } from './methods/api.js';
import { btMethods } from './methods/bt.js';
import { xmppMethods } from './methods/xmpp.js';

/** Every method of the original Bitween API, by namespace. */
export function allMethods(ctx: RpcContext): RpcMethod[] {
  return [...apiMethods(ctx), ...btMethods(ctx), ...xmppMethods(ctx)];
}
