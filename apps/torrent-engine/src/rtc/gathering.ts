import type { IceServer } from '@bitween/messages';
import type { IcePolicy } from './relay-fallback.js';

/**
 * When an offer or answer may go out before ICE gathering completes. Without trickle, the
 * description waits for every candidate; but with a STUN server configured, libwebrtc
 * (@roamhq/wrtc) did not report gathering complete within 20 s in a network namespace where the
 * server answered, so each side waited its whole cap (5 s) for nothing. The candidates that matter
 * are known in advance: the NAT's address (server-reflexive) when a STUN server, or a UDP TURN
 * server that is used as one, is known and every type is allowed; a relay when a TURN server is
 * known. Once each awaited type has arrived, the description goes out a moment later.
 */

export type AwaitedType = 'srflx' | 'relay';

/** A moment for the same kind of candidate from the host's other interfaces. */
export const GRACE_MS = 250;

/** The candidate types worth waiting for, given the ICE servers and the policy. */
export function awaitedTypes(servers: readonly IceServer[], policy: IcePolicy): Set<AwaitedType> {
  const awaited = new Set<AwaitedType>();
  const urls = servers.flatMap((s) => s.urls.map((url) => ({ url, auth: s.username !== undefined })));
  // A TURN server authenticates; libwebrtc leaves one without credentials out.
  if (urls.some((u) => u.auth && /^turns?:/.test(u.url))) awaited.add('relay');
  const stunLike = urls.some(
    (u) => /^stun:/.test(u.url) || (u.auth && /^turn:/.test(u.url) && !/[?&]transport=tcp\b/.test(u.url)),
  );
  if (policy === 'all' && stunLike) awaited.add('srflx');
  return awaited;
}

/** The type of an ICE candidate line (`candidate:… typ srflx …`), or null. */
export function candidateType(candidate: string): string | null {
  return / typ (\S+)/.exec(candidate)?.[1] ?? null;
}

/** Has every awaited type been seen? (Never when nothing is awaited: gathering is quick then.) */
export function awaitedArrived(awaited: ReadonlySet<AwaitedType>, seen: ReadonlySet<string>): boolean {
  return awaited.size > 0 && [...awaited].every((t) => seen.has(t));
}
