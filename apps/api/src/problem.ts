import { STATUS_CODES } from 'node:http';
import { Issue } from '@bitween/messages';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CoreError, CoreErrorCode } from './core/errors.js';

/**
 * RFC 9457 problem details: every error of the REST api (and of auth outside `/api`) is
 * `application/problem+json` with a human `detail` and, as extensions, a machine `code` and, for
 * bad input, the failing fields in `issues`.
 */
export const PROBLEM_TYPE = 'application/problem+json';

export const ProblemCode = z.enum([
  'bad_request',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'failed',
  'rate_limited',
  'internal',
  'unavailable',
  'timeout',
  'invalid_reply',
  'range_not_satisfiable',
]);
export type ProblemCode = z.infer<typeof ProblemCode>;

export const Problem = z
  .object({
    type: z.string().describe('always about:blank: `title` is the HTTP status text, `code` tells more'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('what went wrong, for people'),
    instance: z.string().optional().describe('the request path'),
    code: ProblemCode.describe('what went wrong, for programs'),
    issues: z.array(Issue).optional().describe('the failing fields of bad input: `{path, message}`'),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

/** An error a route throws to answer with a problem. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    detail: string,
    readonly issues?: Issue[],
  ) {
    super(detail);
  }
}

export function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  extra: { instance?: string; issues?: Issue[] } = {},
): Problem {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(extra.instance ? { instance: extra.instance } : {}),
    code,
    ...(extra.issues?.length ? { issues: extra.issues } : {}),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_TYPE).send(p);
}

const coreCode: Record<CoreErrorCode, { status: number; code: ProblemCode; prefix?: string }> = {
  invalid_request: { status: 400, code: 'bad_request' },
  not_found: { status: 404, code: 'not_found' },
  conflict: { status: 409, code: 'conflict' },
  too_large: { status: 413, code: 'payload_too_large' },
  failed: { status: 422, code: 'failed' },
  internal: { status: 500, code: 'internal' },
  invalid_reply: { status: 502, code: 'invalid_reply' },
  unavailable: { status: 503, code: 'unavailable', prefix: 'service unavailable: ' },
  timeout: { status: 504, code: 'timeout', prefix: 'timeout: ' },
};

/**
 * The core's error as a problem, the one mapping of REST (and of every route answering
 * problem+json): `unavailable` (nobody answers on NATS) is 503, `timeout` 504, …
 */
export function problemOfCoreError(error: CoreError): HttpProblem {
  const { status, code, prefix = '' } = coreCode[error.code];
  return new HttpProblem(status, code, `${prefix}${error.message}`, error.issues);
}

/** The error responses every route may give, for the OpenAPI document. */
export const problemResponses = {
  400: Problem.describe('bad input: `detail` and `issues` name the failing fields'),
  401: Problem.describe('missing or wrong API key'),
  404: Problem.describe('no such resource'),
  429: Problem.describe('too many failed authentications from this address'),
  503: Problem.describe('the service that would answer is not running (nobody answers on NATS)'),
  504: Problem.describe('the service did not answer in time'),
} as const;
