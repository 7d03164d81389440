import { describeIssues, issuesOf, type Issue } from '@bitween/messages';
import { JSONRPCErrorCode, JSONRPCErrorException } from 'json-rpc-2.0';
import type { z } from 'zod';
import type { CoreError, CoreErrorCode } from '../core/errors.js';

/**
 * JSON-RPC error codes. -32700..-32600 are the spec's; the server errors (-32000..-32099) mirror
 * the HTTP status of the bus error they stand for where there is one (-32004 ≈ 404, -32009 ≈ 409).
 */
export const RpcCode = {
  ParseError: JSONRPCErrorCode.ParseError, // -32700
  InvalidRequest: JSONRPCErrorCode.InvalidRequest, // -32600
  MethodNotFound: JSONRPCErrorCode.MethodNotFound, // -32601
  InvalidParams: JSONRPCErrorCode.InvalidParams, // -32602
  InternalError: JSONRPCErrorCode.InternalError, // -32603
  Unauthorized: -32000,
  Unavailable: -32001,
  Timeout: -32002,
  NotFound: -32004,
  Conflict: -32009,
  Failed: -32010,
} as const;

export function rpcError(code: number, message: string, data?: unknown): JSONRPCErrorException {
  return new JSONRPCErrorException(message, code, data);
}

/** -32602 naming every failing field: `invalid params: hash: must be …`, issues in `data`. */
export function invalidParams(issues: Issue[]): JSONRPCErrorException {
  return rpcError(RpcCode.InvalidParams, `invalid params: ${describeIssues(issues)}`, { issues });
}

export function invalidParamsOf(error: z.ZodError): JSONRPCErrorException {
  return invalidParams(issuesOf(error));
}

const coreToRpc: Record<CoreErrorCode, { code: number; prefix: string }> = {
  unavailable: { code: RpcCode.Unavailable, prefix: 'service unavailable: ' },
  timeout: { code: RpcCode.Timeout, prefix: 'timeout: ' },
  not_found: { code: RpcCode.NotFound, prefix: '' },
  conflict: { code: RpcCode.Conflict, prefix: '' },
  failed: { code: RpcCode.Failed, prefix: '' },
  // A service rejected what we sent: the caller's params were wrong in a way only it could tell.
  invalid_request: { code: RpcCode.InvalidParams, prefix: 'invalid params: ' },
  internal: { code: RpcCode.InternalError, prefix: 'internal error: ' },
  invalid_reply: { code: RpcCode.InternalError, prefix: 'internal error: ' },
  too_large: { code: RpcCode.InvalidParams, prefix: 'invalid params: ' },
};

/**
 * The core's error as a JSON-RPC error, the one mapping of this front-end; `data` keeps the
 * core's code (and issues) for frontends.
 */
export function fromCoreError(error: CoreError): JSONRPCErrorException {
  const { code, prefix } = coreToRpc[error.code];
  const data = error.issues ? { code: error.code, issues: error.issues } : { code: error.code };
  return rpcError(code, `${prefix}${error.message}`, data);
}
