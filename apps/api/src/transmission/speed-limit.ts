import { KILO } from './fields.js';
import { TrError } from './protocol.js';

/**
 * A limit in bytes/s from Transmission's pair (kB/s value, enabled flag): `undefined` = leave
 * as is. Transmission keeps a value while a limit is off; bitween stores only an active limit.
 */
export function limitOf(
  current: number | null,
  kb: number | undefined,
  limited: boolean | undefined,
): number | null | undefined {
  if (limited === false) return null;
  const value = kb ?? (current === null ? undefined : Math.round(current / KILO));
  if (limited === true) {
    if (value === undefined) throw new TrError('a speed limit needs a value in kB/s');
    if (value === 0) throw new TrError('a speed limit of 0 is not supported: stop the torrent instead');
    return value * KILO;
  }
  // Only a value: it changes the limit when one is active.
  if (kb === undefined || current === null) return undefined;
  if (kb === 0) throw new TrError('a speed limit of 0 is not supported: stop the torrent instead');
  return kb * KILO;
}
