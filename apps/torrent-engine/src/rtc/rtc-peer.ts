import type { IceServer } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import Peer, { type IceCandidateEvent, type SignalData, type StatsLike } from '@thaunknown/simple-peer';
import { awaitedArrived, awaitedTypes, candidateType, GRACE_MS, type AwaitedType } from './gathering.js';
import type { IcePolicy } from './relay-fallback.js';
import { selectedPairRelayed } from './transport-counters.js';

/** Longest SDP the contracts carry. */
const MAX_SDP = 16_384;

export type RtcPeer = Peer;

/**
 * WebRTC peers for BitTorrent wires (@thaunknown/simple-peer on `webrtc-polyfill`, i.e.
 * @roamhq/wrtc), without trickle: one offer and one answer, each carrying every ICE candidate
 * gathered (host, STUN server-reflexive, TURN relay), so one XMPP round trip suffices.
 */
function create(initiator: boolean, iceServers: IceServer[], log: Logger, policy: IcePolicy): Peer {
  const peer = new Peer({
    initiator,
    trickle: false,
    config: { iceServers: iceServers.map((s) => ({ ...s })), iceTransportPolicy: policy },
    iceCompleteTimeout: 5_000,
  });
  // simple-peer reports failures as 'error' (an unhandled one would end the process).
  peer.on('error', (err: Error) => log.debug({ err: err.message }, 'WebRTC peer failed'));
  return peer;
}

/**
 * Resolve with the peer's one local description (offer or answer), or fail after `timeoutMs`.
 * simple-peer gives it when ICE gathering completes (at most `iceCompleteTimeout` after the first
 * candidate); it is taken earlier, with the candidates so far, once every `awaited` type has
 * arrived (gathering.ts).
 */
function localDescription(peer: Peer, timeoutMs: number, awaited: ReadonlySet<AwaitedType>): Promise<string> {
  return new Promise((resolve, reject) => {
    const pc = peer._pc;
    const seen = new Set<string>();
    let grace: NodeJS.Timeout | undefined;
    const done = (err: Error | null, sdp?: string) => {
      clearTimeout(timer);
      clearTimeout(grace);
      peer.off('signal', onSignal);
      peer.off('close', onClose);
      pc?.removeEventListener('icecandidate', onCandidate);
      if (err) {
        peer.destroy();
        reject(err);
      } else resolve(sdp!);
    };
    const take = (sdp: string | undefined) => {
      if (!sdp || sdp.length > MAX_SDP) return done(new Error('session description too large'));
      done(null, sdp);
    };
    const onSignal = (data: SignalData) => {
      if (data.type === 'offer' || data.type === 'answer') take(data.sdp);
    };
    const onCandidate = (e: IceCandidateEvent) => {
      const type = e.candidate ? candidateType(e.candidate.candidate) : null;
      if (type) seen.add(type);
      if (grace === undefined && awaitedArrived(awaited, seen))
        grace = setTimeout(() => {
          const sdp = pc?.localDescription?.sdp;
          // As simple-peer sends it without trickle: no trickle option line.
          if (sdp && !peer.destroyed) take(sdp.replace(/a=ice-options:trickle\s\n/g, ''));
        }, GRACE_MS);
    };
    const onClose = () => done(new Error('WebRTC peer closed before its description was ready'));
    const timer = setTimeout(() => done(new Error('no WebRTC description in time')), timeoutMs);
    peer.on('signal', onSignal);
    peer.once('close', onClose);
    pc?.addEventListener('icecandidate', onCandidate);
  });
}

/** An initiating peer and its offer (`policy` 'relay': TURN relay candidates only). */
export async function createOffer(
  iceServers: IceServer[],
  log: Logger,
  policy: IcePolicy = 'all',
  timeoutMs = 15_000,
): Promise<{ peer: Peer; sdp: string }> {
  const peer = create(true, iceServers, log, policy);
  return { peer, sdp: await localDescription(peer, timeoutMs, awaitedTypes(iceServers, policy)) };
}

/** A peer answering `offer`, and its answer. */
export async function answerOffer(
  offer: string,
  iceServers: IceServer[],
  log: Logger,
  policy: IcePolicy = 'all',
  timeoutMs = 15_000,
): Promise<{ peer: Peer; sdp: string }> {
  const peer = create(false, iceServers, log, policy);
  const answer = localDescription(peer, timeoutMs, awaitedTypes(iceServers, policy));
  try {
    peer.signal({ type: 'offer', sdp: offer });
  } catch (err) {
    peer.destroy();
    throw new Error(`not a usable offer: ${(err as Error).message}`);
  }
  return { peer, sdp: await answer };
}

/** Give the initiator the contact's answer. */
export function acceptAnswer(peer: Peer, answer: string): void {
  peer.signal({ type: 'answer', sdp: answer });
}

/** Is the connection relayed (TURN)? false when the stats cannot tell. */
export async function isRelayed(peer: Peer): Promise<boolean> {
  const pc = peer._pc;
  if (!pc) return false;
  const stats: StatsLike[] = [];
  try {
    (await pc.getStats()).forEach((s) => stats.push(s));
  } catch {
    return false;
  }
  return selectedPairRelayed(stats);
}
