import type { ConnectionCounters } from '@bitween/messages';
import { classifyAddress } from '@bitween/net-policy';
import type { StatsLike } from '@thaunknown/simple-peer';
import { normaliseIp } from '../peer-filter.js';

/**
 * Admitted connections by transport since start (`EngineState.connections`): TCP we dialled or
 * accepted from a LAN address → tcpDirect; TCP accepted from outside while the router forwards
 * our port → tcpMapped; WebRTC → webrtcRelayed when the selected ICE candidate pair goes through
 * a TURN relay, else webrtcDirect.
 */
export class TransportCounters {
  readonly #c: ConnectionCounters = { tcpDirect: 0, tcpMapped: 0, webrtcDirect: 0, webrtcRelayed: 0 };

  counts(): ConnectionCounters {
    return { ...this.#c };
  }

  countTcp(wire: { type: string; remoteAddress?: string | undefined }, portMapped: boolean): void {
    this.#c[tcpKind(wire, portMapped)]++;
  }

  countWebrtc(relayed: boolean): void {
    this.#c[relayed ? 'webrtcRelayed' : 'webrtcDirect']++;
  }
}

export function tcpKind(
  wire: { type: string; remoteAddress?: string | undefined },
  portMapped: boolean,
): 'tcpDirect' | 'tcpMapped' {
  if (wire.type !== 'tcpIncoming' || !portMapped || !wire.remoteAddress) return 'tcpDirect';
  return classifyAddress(normaliseIp(wire.remoteAddress)) === 'public' ? 'tcpMapped' : 'tcpDirect';
}

/**
 * Does the connection's selected ICE candidate pair go through a relay (either end a `relay`
 * candidate)? From RTCPeerConnection.getStats(): the transport's selected pair, else the
 * nominated, succeeded one.
 */
export function selectedPairRelayed(stats: StatsLike[]): boolean {
  const byId = new Map(stats.map((s) => [s.id, s]));
  const selectedId = stats.find(
    (s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string',
  )?.selectedCandidatePairId as string | undefined;
  const pair =
    (selectedId ? byId.get(selectedId) : undefined) ??
    stats.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') ??
    stats.find((s) => s.type === 'candidate-pair' && s.selected === true);
  if (!pair) return false;
  const type = (id: unknown) => (typeof id === 'string' ? byId.get(id)?.candidateType : undefined);
  return type(pair.localCandidateId) === 'relay' || type(pair.remoteCandidateId) === 'relay';
}
