// webtorrent (through @thaunknown/simple-peer) imports `webrtc-polyfill`, whose real
// implementation depends on node-datachannel: its install script downloads a binary from
// GitHub, which fails on machines that only reach the npm registry. @roamhq/wrtc ships its
// Linux binary inside an npm package, so we re-export its classes under the same names.
// The engine opens WebRTC peers for friends behind routers (apps/torrent-engine/src/rtc/).
import wrtc from '@roamhq/wrtc';

export const RTCPeerConnection = wrtc.RTCPeerConnection;
export const RTCSessionDescription = wrtc.RTCSessionDescription;
export const RTCIceCandidate = wrtc.RTCIceCandidate;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
