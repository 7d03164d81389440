import { randomBytes } from 'node:crypto';

/** STUN (RFC 5389) Binding request and the mapped address of its success response. */
export const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;

export function bindingRequest(transactionId: Buffer = randomBytes(12)): Buffer {
  const msg = Buffer.alloc(20);
  msg.writeUInt16BE(BINDING_REQUEST, 0);
  msg.writeUInt16BE(0, 2);
  msg.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(msg, 8);
  return msg;
}

export interface Mapped {
  address: string;
  port: number;
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':'); // full form; valid IPv6 text
}

/**
 * The (XOR-)MAPPED-ADDRESS of a Binding success response to `transactionId`, or null for
 * anything else (another transaction, an error response, garbage).
 */
export function parseBindingResponse(msg: Buffer, transactionId: Buffer): Mapped | null {
  if (msg.length < 20 || msg.readUInt16BE(0) !== BINDING_SUCCESS) return null;
  if (msg.readUInt32BE(4) !== MAGIC_COOKIE || !msg.subarray(8, 20).equals(transactionId)) return null;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  let fallback: Mapped | null = null;
  for (let at = 20; at + 4 <= end;) {
    const type = msg.readUInt16BE(at);
    const length = msg.readUInt16BE(at + 2);
    const value = msg.subarray(at + 4, at + 4 + length);
    at += 4 + length + ((4 - (length % 4)) % 4);
    if (value.length < 8 || (type !== ATTR_XOR_MAPPED_ADDRESS && type !== ATTR_MAPPED_ADDRESS)) continue;
    const family = value[1];
    const xor = type === ATTR_XOR_MAPPED_ADDRESS;
    const port = value.readUInt16BE(2) ^ (xor ? MAGIC_COOKIE >>> 16 : 0);
    let address: string | null = null;
    if (family === 0x01 && value.length >= 8) {
      const raw = value.readUInt32BE(4) ^ (xor ? MAGIC_COOKIE : 0);
      address = [raw >>> 24, (raw >>> 16) & 255, (raw >>> 8) & 255, raw & 255].join('.');
    } else if (family === 0x02 && value.length >= 20) {
      const raw = Buffer.from(value.subarray(4, 20));
      if (xor) {
        const mask = Buffer.concat([msg.subarray(4, 8), transactionId]);
        for (let i = 0; i < 16; i++) raw[i] = (raw[i] ?? 0) ^ (mask[i] ?? 0);
      }
      address = ipv6(raw);
    }
    if (!address) continue;
    if (xor) return { address, port };
    fallback ??= { address, port };
  }
  return fallback;
}

/** A success response (for test servers): XOR-MAPPED-ADDRESS of an IPv4 `mapped`. */
export function bindingSuccess(transactionId: Buffer, mapped: Mapped): Buffer {
  const msg = Buffer.alloc(32);
  msg.writeUInt16BE(BINDING_SUCCESS, 0);
  msg.writeUInt16BE(12, 2);
  msg.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(msg, 8);
  msg.writeUInt16BE(ATTR_XOR_MAPPED_ADDRESS, 20);
  msg.writeUInt16BE(8, 22);
  msg.writeUInt8(0, 24);
  msg.writeUInt8(0x01, 25);
  msg.writeUInt16BE(mapped.port ^ (MAGIC_COOKIE >>> 16), 26);
  const raw = mapped.address.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  msg.writeUInt32BE((raw ^ MAGIC_COOKIE) >>> 0, 28);
  return msg;
}
