import { ipFromBytes, ipToBytes } from '@bitween/net-policy';

/**
 * PCP (Port Control Protocol, RFC 6887) MAP messages: encode a request, parse a response. Pure.
 * The engine uses MAP to open an IPv6 pinhole in the home router's firewall (no NAT: the external
 * address and port are our own). There is no maintained PCP client on npm, and MAP is two
 * fixed-size messages (60 bytes each without options), so the codec is ours.
 */

export const PCP_PORT = 5351;
export const PCP_VERSION = 2;
const OPCODE_MAP = 1;
const RESPONSE_BIT = 0x80;
export const NONCE_BYTES = 12;
/** Common header (24 bytes) + MAP opcode payload (36 bytes). */
export const MAP_MESSAGE_BYTES = 60;
/** The largest PCP message (RFC 6887 §7). */
export const PCP_MAX_BYTES = 1100;
export const IPPROTO_TCP = 6;

/** RFC 6887 §7.4 result codes. */
export const RESULT_CODES: Record<number, string> = {
  0: 'SUCCESS',
  1: 'UNSUPP_VERSION',
  2: 'NOT_AUTHORIZED',
  3: 'MALFORMED_REQUEST',
  4: 'UNSUPP_OPCODE',
  5: 'UNSUPP_OPTION',
  6: 'MALFORMED_OPTION',
  7: 'NETWORK_FAILURE',
  8: 'NO_RESOURCES',
  9: 'UNSUPP_PROTOCOL',
  10: 'USER_EX_QUOTA',
  11: 'CANNOT_PROVIDE_EXTERNAL',
  12: 'ADDRESS_MISMATCH',
  13: 'EXCESSIVE_REMOTE_PEERS',
};

export interface MapRequest {
  /** 12 random bytes that name this mapping: renewals and the deletion repeat them. */
  nonce: Uint8Array;
  /** IANA protocol number (6: TCP). */
  protocol: number;
  /** Our address: the request's source address (the router checks they match). */
  clientAddress: string;
  internalPort: number;
  /** 0: no preference (a firewall-only router grants the internal port). */
  suggestedExternalPort: number;
  /** `::` (or `0.0.0.0`): no preference. */
  suggestedExternalAddress: string;
  /** Seconds; 0 deletes the mapping. */
  lifetimeS: number;
}

export interface MapResponse {
  resultCode: number;
  /** RESULT_CODES' name, or `result <n>` for one RFC 6887 does not define. */
  result: string;
  /** Seconds the mapping lasts (on an error: how long the error holds). */
  lifetimeS: number;
  epochS: number;
  nonce: Uint8Array;
  protocol: number;
  internalPort: number;
  externalPort: number;
  externalAddress: string;
}

const bytes16 = (address: string, what: string) => {
  const b = ipToBytes(address);
  if (!b) throw new TypeError(`${what} is not an IP address: ${address}`);
  return b;
};

const check = (ok: boolean, what: string) => {
  if (!ok) throw new RangeError(what);
};

export function encodeMapRequest(r: MapRequest): Uint8Array {
  check(r.nonce.length === NONCE_BYTES, `the nonce is ${NONCE_BYTES} bytes`);
  check(Number.isInteger(r.protocol) && r.protocol >= 0 && r.protocol <= 255, 'protocol out of range');
  for (const [v, what] of [
    [r.internalPort, 'internal port'],
    [r.suggestedExternalPort, 'external port'],
  ] as const)
    check(Number.isInteger(v) && v >= 0 && v <= 65535, `${what} out of range`);
  check(
    Number.isInteger(r.lifetimeS) && r.lifetimeS >= 0 && r.lifetimeS <= 0xffffffff,
    'lifetime out of range',
  );
  const buf = new Uint8Array(MAP_MESSAGE_BYTES);
  const view = new DataView(buf.buffer);
  buf[0] = PCP_VERSION;
  buf[1] = OPCODE_MAP; // R = 0: a request
  view.setUint32(4, r.lifetimeS);
  buf.set(bytes16(r.clientAddress, 'the client address'), 8);
  buf.set(r.nonce, 24);
  buf[36] = r.protocol;
  view.setUint16(40, r.internalPort);
  view.setUint16(42, r.suggestedExternalPort);
  buf.set(bytes16(r.suggestedExternalAddress, 'the suggested external address'), 44);
  return buf;
}

/**
 * A MAP response from the router, or an Error saying why it is not one (too short or long, another
 * version, not a response, another opcode). Options after the payload are ignored.
 */
export function parseMapResponse(msg: Uint8Array): MapResponse {
  if (msg.length < MAP_MESSAGE_BYTES || msg.length > PCP_MAX_BYTES || msg.length % 4 !== 0)
    throw new Error(`not a PCP MAP response: ${msg.length} bytes`);
  if (msg[0] !== PCP_VERSION) throw new Error(`PCP version ${msg[0]} (we speak ${PCP_VERSION})`);
  if (msg[1] !== (RESPONSE_BIT | OPCODE_MAP))
    throw new Error(`not a PCP MAP response (opcode byte ${msg[1]})`);
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const resultCode = msg[3] ?? 0;
  return {
    resultCode,
    result: RESULT_CODES[resultCode] ?? `result ${resultCode}`,
    lifetimeS: view.getUint32(4),
    epochS: view.getUint32(8),
    nonce: msg.slice(24, 36),
    protocol: msg[36] ?? 0,
    internalPort: view.getUint16(40),
    externalPort: view.getUint16(42),
    externalAddress: ipFromBytes(msg.subarray(44, 60)),
  };
}

/** Whether `res` answers `req` (RFC 6887 §11.4: the nonce, protocol and internal port match). */
export function answers(
  res: MapResponse,
  req: Pick<MapRequest, 'nonce' | 'protocol' | 'internalPort'>,
): boolean {
  return (
    res.protocol === req.protocol &&
    res.internalPort === req.internalPort &&
    res.nonce.length === req.nonce.length &&
    res.nonce.every((b, i) => b === req.nonce[i])
  );
}
