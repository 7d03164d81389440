import type { FastifyError, FastifyPluginCallback } from 'fastify';
import { RpcCode } from './errors.js';
import { serializeOutcome } from './raw.js';
import type { RpcHandler } from './server.js';

export interface RpcRouteOptions {
  rpc: RpcHandler;
}

/** Media types taken as JSON-RPC bodies. Anything else is 415: see below. */
const JSON_TYPES = ['application/json', 'application/json-rpc'];

/**
 * `POST /api`: JSON-RPC 2.0. Always HTTP 200 with the envelope(s), 204 when the body held only
 * notifications.
 *
 * The body is kept as text (fastify's JSON parser would answer invalid JSON with an HTTP 400
 * before the JSON-RPC layer could say -32700). Only JSON media types are accepted: a web page
 * on another origin cannot send `application/json` without a CORS preflight, which this server
 * never grants, so it cannot drive the api from a user's browser (`text/plain` would pass).
 */
const rpcRoutes: FastifyPluginCallback<RpcRouteOptions> = (app, { rpc }, done) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

  // Transport-level failures keep their HTTP status but still answer with a JSON-RPC envelope.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    let message = 'internal error';
    if (status === 415) message = `invalid request: Content-Type must be ${JSON_TYPES.join(' or ')}`;
    else if (status < 500) message = `invalid request: ${error.message}`;
    else request.log.error({ err: error }, 'POST /api failed');
    await reply.code(status).send({
      jsonrpc: '2.0',
      id: null,
      error: { code: status < 500 ? RpcCode.InvalidRequest : RpcCode.InternalError, message },
    });
  });

  app.post(
    '/api',
    {
      // An authentication refusal is a JSON-RPC envelope too (see auth/plugin.ts).
      config: {
        refusalBody: (status: number, message: string) => ({
          jsonrpc: '2.0',
          id: null,
          error: { code: status === 415 ? RpcCode.InvalidRequest : RpcCode.Unauthorized, message },
        }),
      },
      schema: {
        tags: ['compat'],
        summary: 'The original Bitween JSON-RPC 2.0 API (methods: apps/api/README.md)',
      },
    },
    async (request, reply) => {
      const outcome = await rpc.handle(typeof request.body === 'string' ? request.body : '');
      if (outcome === null) return reply.code(204).send();
      return reply.code(200).type('application/json; charset=utf-8').send(serializeOutcome(outcome));
    },
  );
  done();
};

export default rpcRoutes;
