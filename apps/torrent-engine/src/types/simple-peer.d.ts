// @thaunknown/simple-peer 10 (ESM, no bundled types): the parts bitween uses.
declare module '@thaunknown/simple-peer' {
  import { EventEmitter } from 'node:events';

  export interface SignalData {
    type: 'offer' | 'answer' | 'renegotiate' | 'transceiverRequest' | 'candidate';
    sdp?: string;
  }

  export interface StatsLike {
    type: string;
    id: string;
    [key: string]: unknown;
  }

  export interface PeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: {
      iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
      iceTransportPolicy?: 'all' | 'relay';
    };
    /** How long to wait for ICE gathering before signalling anyway (ms, default 5000). */
    iceCompleteTimeout?: number;
  }

  export interface IceCandidateEvent {
    /** null: gathering is complete. */
    candidate: { candidate: string } | null;
  }

  export default class Peer extends EventEmitter {
    constructor(opts?: PeerOptions);
    readonly id?: string;
    readonly connected: boolean;
    readonly destroyed: boolean;
    remoteAddress?: string;
    remotePort?: number;
    /** The RTCPeerConnection (null once destroyed). */
    _pc: {
      getStats(): Promise<{ forEach(cb: (s: StatsLike) => void): void }>;
      /** With the candidates gathered so far (libwebrtc adds them as they come). */
      readonly localDescription: { sdp: string } | null;
      addEventListener(type: 'icecandidate', listener: (e: IceCandidateEvent) => void): void;
      removeEventListener(type: 'icecandidate', listener: (e: IceCandidateEvent) => void): void;
    } | null;
    signal(data: SignalData): void;
    destroy(err?: Error): void;
  }
}
