import { z } from 'zod';
import {
  BusError,
  BusErrorBody,
  httpStatusOf,
  issuesOf,
  describeIssues,
  fail,
  ok,
  type Result,
} from './errors.js';

/**
 * Bytes ↔ typed values. Pure functions, no NATS: the bus helper wires them to a connection.
 * Nothing here throws on bad input; every failure is a typed `BusError`.
 */

const BusErrorEnvelope = z.object({ error: BusErrorBody });

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Guarded `JSON.parse` then `safeParse`; a failure names the offending fields. */
export function decode<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
  code: 'invalid_request' | 'invalid_reply' = 'invalid_request',
): Result<z.output<S>> {
  let json: unknown;
  try {
    json = data.length === 0 ? undefined : JSON.parse(decoder.decode(data));
  } catch (err) {
    return fail(code, `not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    return fail(code, describeIssues(issues), issues);
  }
  return ok(parsed.data);
}

/** Validate an outgoing value against its schema before it leaves the process. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code: 'invalid_request' | 'internal',
): Result<z.output<S>> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    return fail(code, describeIssues(issues), issues);
  }
  return ok(parsed.data);
}

export interface EncodedError {
  /** Numeric code for the `Nats-Service-Error-Code` header. */
  status: number;
  /** Text for the `Nats-Service-Error` header (one line). */
  description: string;
  body: Uint8Array;
}

export function encodeError(error: BusError): EncodedError {
  return {
    status: httpStatusOf[error.code],
    description: `${error.code}: ${error.message}`.replace(/[\r\n]+/g, ' ').slice(0, 512),
    body: encodeJson({ error: error.toJSON() }),
  };
}

/**
 * A reply is an error when the micro error header is present (or the body is `{error: …}`
 * from a responder that could not set headers); otherwise it must match the response schema.
 */
export function decodeReply<S extends z.ZodType>(
  schema: S,
  data: Uint8Array,
  errorHeader: { status: number; description: string } | null,
): Result<z.output<S>> {
  if (errorHeader) {
    const body = decode(BusErrorEnvelope, data, 'invalid_reply');
    if (body.ok) {
      const e = body.value.error;
      return { ok: false, error: new BusError(e.code, e.message, e.issues) };
    }
    return fail('internal', errorHeader.description || `error ${errorHeader.status}`);
  }
  return decode(schema, data, 'invalid_reply');
}
