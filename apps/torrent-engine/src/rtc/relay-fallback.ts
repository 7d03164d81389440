import type { IceServer } from '@bitween/messages';

/**
 * The relay fallback (docs/friends-behind-routers.md, "WebRTC and connection reversal"): between
 * two endpoint-dependent (symmetric) NATs ICE may select a pair with a TURN relay on one end and a
 * peer-reflexive address on the other, which connects and then fails under a sustained transfer.
 * Once a WebRTC attempt with a contact for a torrent failed or died early, the next ones for that
 * (torrent, contact) gather relay candidates only (`iceTransportPolicy: 'relay'`) when a TURN
 * server is known, and the contact answers such an offer relay-only too: relay↔relay.
 */

export type IcePolicy = 'all' | 'relay';

/** How one WebRTC attempt ended (times in ms). */
export interface AttemptEnd {
  /** When the data channel opened; null: never. */
  connectedAt: number | null;
  closedAt: number;
  /** It ended with an error (ICE or the connection failed, a data channel error). */
  failed: boolean;
}

/** A wire open at least this long counts as having worked. */
export const EARLY_MS = 60_000;

/** Did the attempt fail or die early (never connected, failed, or closed within `earlyMs`)? */
export function failedEarly(end: AttemptEnd, earlyMs = EARLY_MS): boolean {
  if (end.failed || end.connectedAt === null) return true;
  return end.closedAt - end.connectedAt < earlyMs;
}

/** Does the list name a TURN server (with credentials: TURN always authenticates)? */
export function hasTurn(servers: readonly IceServer[]): boolean {
  return servers.some((s) => s.username !== undefined && s.urls.some((u) => /^turns?:/.test(u)));
}

/** The policy of our next offer to a contact: relay-only after an early failure, when we can. */
export function offerPolicy(failedBefore: boolean, servers: readonly IceServer[]): IcePolicy {
  return failedBefore && hasTurn(servers) ? 'relay' : 'all';
}

/** The candidates (`a=candidate:` lines) of a session description, by type. */
function candidateTypes(sdp: string): string[] {
  const types: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (!line.startsWith('a=candidate:')) continue;
    const m = / typ (\S+)/.exec(line);
    types.push(m?.[1] ?? '');
  }
  return types;
}

/** The policy of our answer: relay-only when the offer carries relay candidates only, and we can. */
export function answerPolicy(offer: string, servers: readonly IceServer[]): IcePolicy {
  const types = candidateTypes(offer);
  return types.length > 0 && types.every((t) => t === 'relay') && hasTurn(servers) ? 'relay' : 'all';
}
