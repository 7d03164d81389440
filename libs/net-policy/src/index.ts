export { byReach, canonicalIp, classifyAddress, type AddressClass } from './address-class.js';
export { ipFromBytes, ipToBytes } from './ip-bytes.js';
export {
  DialPolicy,
  type DialRefusal,
  sharesLan,
  type DialVerdict,
  type LanEvidence,
  type OwnInterface,
} from './dial-policy.js';
