import type { Issue } from '@bitween/messages';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { CoreError } from '../core/errors.js';
import { HttpProblem, problem, problemOfCoreError, sendProblem, type ProblemCode } from '../problem.js';

const codeOfStatus: Record<number, ProblemCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** `/body/files/0/index` under context `body` → `body.files.0.index`. */
function pathOf(context: string | undefined, instancePath: string): string {
  const rest = instancePath.split('/').filter(Boolean).join('.');
  return [context, rest].filter(Boolean).join('.');
}

/**
 * Every error of a REST route as problem+json: bad input (zod, fastify's parsers) is 4xx naming
 * what is wrong; the core's errors are mapped (see problemOfCoreError); a route's `HttpProblem`
 * keeps its status; anything else is a bug: logged, 500.
 */
export function problemErrorHandler(
  thrown: FastifyError | HttpProblem | CoreError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const instance = request.url.split('?')[0] ?? '';
  const error = thrown instanceof CoreError ? problemOfCoreError(thrown) : thrown;
  if (error instanceof HttpProblem) {
    return sendProblem(
      reply,
      problem(error.status, error.code, error.message, {
        instance,
        ...(error.issues ? { issues: error.issues } : {}),
      }),
    );
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues: Issue[] = error.validation.map((v) => ({
      path: pathOf(error.validationContext, v.instancePath),
      message: v.message ?? 'is invalid',
    }));
    const detail = `invalid request: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`;
    return sendProblem(reply, problem(400, 'bad_request', detail, { instance, issues }));
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ err: error, issues: error.cause.issues }, 'a REST response fails its schema');
    return sendProblem(
      reply,
      problem(502, 'invalid_reply', 'a service answered with data that fails its contract', { instance }),
    );
  }
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500;
  if (status < 500) {
    return sendProblem(
      reply,
      problem(status, codeOfStatus[status] ?? 'bad_request', `invalid request: ${error.message}`, {
        instance,
      }),
    );
  }
  request.log.error({ err: error, url: request.url }, 'REST request failed');
  return sendProblem(reply, problem(500, 'internal', 'internal error (logged on the daemon)', { instance }));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  return sendProblem(
    reply,
    problem(404, 'not_found', `no route ${request.method} ${path} (see /docs or /openapi.json)`, {
      instance: path,
    }),
  );
}
