import { slotOf } from '@bitween/bus';

/**
 * The port an engine in slot `engine-N` prefers: the N-th of the configured range, so every
 * instance of `docker compose up --scale` (host network) gets its own, stable port. None for a
 * fixed id that is not a slot, for `0` (any port), or when the range is too short.
 */
export function slotPort(range: { from: number; to: number }, engineId: string): number | undefined {
  const slot = slotOf(engineId);
  if (slot === null || range.from === 0) return undefined;
  const port = range.from + slot - 1;
  return port <= range.to ? port : undefined;
}
