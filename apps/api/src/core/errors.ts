import { BusError, type ErrorCode, type Issue, type Result } from '@bitween/messages';

/**
 * The core's one error vocabulary: the bus's error codes (a command's answer passes through
 * unchanged) and `too_large`. Every front-end maps these in one place (REST: problem+json status,
 * JSON-RPC: its error codes, Transmission: its `result` text); the core never knows which asked.
 */
export type CoreErrorCode = ErrorCode | 'too_large';

export class CoreError extends Error {
  override readonly name = 'CoreError';
  constructor(
    readonly code: CoreErrorCode,
    /** For people, without a prefix: the adapters add theirs (`service unavailable: `, …). */
    message: string,
    /** The failing fields of bad input. */
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

/** A bus error as the core's error (same code, message and issues). */
export function coreErrorOf(error: BusError): CoreError {
  return new CoreError(error.code, error.message, error.issues);
}

/** The value of a bus result, or its error thrown as a `CoreError`. */
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw coreErrorOf(r.error);
  return r.value;
}

/** Run `read` (a cache or a store over NATS); a bus error keeps its code, anything else is `unavailable: what`. */
export async function reading<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof CoreError) throw err;
    if (err instanceof BusError) throw coreErrorOf(err);
    throw new CoreError('unavailable', `${what}: ${(err as Error).message}`);
  }
}

export const torrentNotFound = (hash: string) => new CoreError('not_found', `no torrent with hash ${hash}`);
