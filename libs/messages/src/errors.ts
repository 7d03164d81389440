import { z } from 'zod';

/**
 * Errors a command can answer with. Every reply on the bus is either the command's typed
 * response or one of these; the numeric code travels in the `Nats-Service-Error-Code` header
 * (NATS micro convention) and mirrors HTTP so gateways can map it without a table.
 */
export const ErrorCode = z.enum([
  'invalid_request', // the payload failed its schema (or was not JSON)
  'not_found', // the thing named does not exist (e.g. no torrent with that hash)
  'conflict', // the request contradicts the current state
  'failed', // the request was valid but could not be carried out (e.g. path unreadable)
  'internal', // a bug: the handler threw something unexpected
  'unavailable', // nobody answers this subject (no responders)
  'timeout', // the responder did not answer in time
  'invalid_reply', // the responder's answer failed the response schema
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  not_found: 404,
  conflict: 409,
  failed: 422,
  internal: 500,
  unavailable: 503,
  timeout: 504,
  invalid_reply: 502,
};

export const Issue = z.object({ path: z.string(), message: z.string() });
export type Issue = z.infer<typeof Issue>;

export const BusErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  issues: z.array(Issue).optional(),
});
export type BusErrorBody = z.infer<typeof BusErrorBody>;

/** The error half of a command result. */
export class BusError extends Error implements BusErrorBody {
  override readonly name = 'BusError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }

  toJSON(): BusErrorBody {
    return this.issues
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

/** Flattens zod issues into `path: message` pairs, the path dotted (`torrents.0.hash`). */
export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
}

/** One line naming every failing field, e.g. `hash: must be a BitTorrent v1 info-hash …`. */
export function describeIssues(issues: Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: BusError };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ErrorCode, message: string, issues?: Issue[]): Result<T> => ({
  ok: false,
  error: new BusError(code, message, issues),
});
