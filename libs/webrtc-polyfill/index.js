// webtorrent (through @thaunknown/simple-peer) imports `webrtc-polyfill`. @roamhq/wrtc
// (libwebrtc) ships its Linux binary inside an npm package; we re-export its classes under the
// same names (README.md: why not node-datachannel, which the real webrtc-polyfill wraps).
// The engine opens WebRTC peers for friends behind routers (apps/torrent-engine/src/rtc/).
import wrtc from '@roamhq/wrtc';

export const RTCPeerConnection = wrtc.RTCPeerConnection;
export const RTCSessionDescription = wrtc.RTCSessionDescription;
export const RTCIceCandidate = wrtc.RTCIceCandidate;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
