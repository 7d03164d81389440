import type { Logger } from '@bitween/runtime';
import {
  JSONRPCErrorException,
  JSONRPCServer,
  createJSONRPCErrorResponse,
  type JSONRPCID,
  type JSONRPCRequest,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import { z } from 'zod';
import { issuesOf, describeIssues } from '@bitween/messages';
import { CoreError } from '../core/errors.js';
import { fromCoreError, RpcCode } from './errors.js';
import type { RpcMethod } from './method.js';

/** More calls than this in one batch are refused (each may fan out to every engine). */
export const MAX_BATCH = 100;

const Id = z.union([z.string(), z.number(), z.null()]);

/** A JSON-RPC 2.0 request object; `id` absent makes it a notification. */
const Envelope = z.object({
  jsonrpc: z.literal('2.0', { error: 'must be "2.0"' }),
  method: z.string({ error: 'must be a string' }),
  // `null` is not valid JSON-RPC but some clients send it for "no params": taken as absent.
  params: z.preprocess(
    (v) => (v === null ? undefined : v),
    z
      .union([z.array(z.unknown()), z.record(z.string(), z.unknown())], {
        error: 'must be an object (by name) or an array (by position)',
      })
      .optional(),
  ),
  id: Id.optional(),
});

function errorResponse(id: JSONRPCID, code: number, message: string, data?: unknown): JSONRPCResponse {
  return createJSONRPCErrorResponse(id, code, message, data);
}

/** What a POST /api body produces: a response, a batch of them, or nothing (notifications only). */
export type RpcOutcome = JSONRPCResponse | JSONRPCResponse[] | null;

/**
 * JSON-RPC 2.0 framing on `json-rpc-2.0`'s server. The library runs the calls; this wrapper
 * parses the body itself (so invalid JSON is -32700, not an HTTP 400), checks every envelope
 * (the library would throw on `null` or accept a non-string method), always answers a batch
 * with an array, names the method in -32601 and maps every error a method throws.
 */
export class RpcHandler {
  readonly #server: JSONRPCServer;

  constructor(
    methods: readonly RpcMethod[],
    private readonly log: Logger,
  ) {
    this.#server = new JSONRPCServer({
      // Only reached if the middleware below fails itself.
      errorListener: (message, data) => log.error({ err: data }, message),
    });
    for (const m of methods) this.#server.addMethod(m.name, (params: unknown) => m.call(params));
    this.#server.applyMiddleware(async (next, request, serverParams) => {
      const started = performance.now();
      let response: JSONRPCResponse | null;
      try {
        if (!this.#server.hasMethod(request.method)) {
          throw new JSONRPCErrorException(`method not found: ${request.method}`, RpcCode.MethodNotFound);
        }
        response = await next(request, serverParams);
      } catch (err) {
        response = this.#errorOf(request, err);
      }
      log.debug(
        {
          rpc: request.method,
          id: request.id,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(response?.error ? { error: response.error.code } : {}),
        },
        'rpc call',
      );
      return response;
    });
  }

  #errorOf(request: JSONRPCRequest, thrown: unknown): JSONRPCResponse | null {
    if (request.id === undefined) return null; // notifications get no answer, not even an error
    // The core's errors are mapped here, in one place (see errors.ts).
    const err = thrown instanceof CoreError ? fromCoreError(thrown) : thrown;
    if (err instanceof JSONRPCErrorException)
      return errorResponse(request.id, err.code, err.message, err.data);
    this.log.error({ err, rpc: request.method }, 'rpc method failed (bug)');
    return errorResponse(request.id, RpcCode.InternalError, 'internal error');
  }

  /** Handle one HTTP body (the raw text). */
  async handle(body: string): Promise<RpcOutcome> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      return errorResponse(null, RpcCode.ParseError, `parse error: ${(err as Error).message}`);
    }
    if (!Array.isArray(json)) return this.#one(json);
    if (json.length === 0) return errorResponse(null, RpcCode.InvalidRequest, 'invalid request: empty batch');
    if (json.length > MAX_BATCH) {
      return errorResponse(
        null,
        RpcCode.InvalidRequest,
        `invalid request: a batch holds at most ${MAX_BATCH} calls`,
      );
    }
    const responses = (await Promise.all(json.map((item) => this.#one(item)))).filter((r) => r !== null);
    return responses.length > 0 ? responses : null;
  }

  async #one(item: unknown): Promise<JSONRPCResponse | null> {
    const envelope = Envelope.safeParse(item);
    if (!envelope.success) {
      const issues = issuesOf(envelope.error);
      const rawId = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
      const id = Id.safeParse(rawId);
      return errorResponse(
        id.success ? id.data : null,
        RpcCode.InvalidRequest,
        `invalid request: ${describeIssues(issues)}`,
        {
          issues,
        },
      );
    }
    const { jsonrpc, method, params, id } = envelope.data;
    const request: JSONRPCRequest = {
      jsonrpc,
      method,
      ...(params === undefined ? {} : { params }),
      ...(id === undefined ? {} : { id }),
    };
    return this.#server.receive(request);
  }
}
