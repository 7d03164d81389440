export { byReach, canonicalIp, classifyAddress, type AddressClass } from './address-class.js';
export {
  DialPolicy,
  type DialRefusal,
  sharesLan,
  type DialVerdict,
  type LanEvidence,
  type OwnInterface,
} from './dial-policy.js';
