import bencode from 'bencode';
import { NONCE_PATTERN, PROOF_BYTES } from './proof.js';

/**
 * The `bitween_auth` BitTorrent extension (BEP 10), its codec only: our extended handshake
 * carries `bw_jid` (our bare JID) and `bw_nonce` (16 random bytes, hex); one extension message
 * `{proof}` (32 bytes) answers the other side's nonce. What to do with them is in gate.ts.
 */
export const AUTH_EXTENSION = 'bitween_auth';

/** Longest JID (RFC 7622: 3071 bytes for a full JID). */
const MAX_JID_BYTES = 3071;

/** What a peer says it is in its extended handshake. */
export interface PeerHello {
  jid: string;
  nonce: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (!(value instanceof Uint8Array)) return null;
  try {
    return utf8.decode(value);
  } catch {
    return null;
  }
}

/**
 * The peer's `bw_jid` and `bw_nonce` from its decoded extended handshake, or why they are
 * unusable (`anonymous`: it names no JID — e.g. its gateway has no account online — so it cannot
 * prove anything; otherwise the values are malformed).
 */
export function readHello(
  handshake: Record<string, unknown>,
): PeerHello | { error: string; anonymous: boolean } {
  const jid = text(handshake.bw_jid);
  const nonce = text(handshake.bw_nonce);
  if (jid === null || nonce === null) return { error: 'bw_jid or bw_nonce missing', anonymous: false };
  if (jid.length === 0) return { error: 'no bw_jid', anonymous: true };
  if (Buffer.byteLength(jid) > MAX_JID_BYTES || /[\s/]/.test(jid))
    return { error: 'bw_jid is not a bare JID', anonymous: false };
  if (!NONCE_PATTERN.test(nonce)) return { error: 'bw_nonce is not 16 bytes of hex', anonymous: false };
  return { jid: jid.toLowerCase(), nonce };
}

/** The proof inside one `bitween_auth` message, or null when it is malformed. */
export function decodeProofMessage(buf: Uint8Array): Uint8Array | null {
  if (buf.length > 256) return null;
  let decoded: unknown;
  try {
    decoded = bencode.decode(buf);
  } catch {
    return null;
  }
  if (typeof decoded !== 'object' || decoded === null) return null;
  const proof = (decoded as { proof?: unknown }).proof;
  return proof instanceof Uint8Array && proof.length === PROOF_BYTES ? proof : null;
}

/** The wire as far as this extension uses it. */
export interface ExtensionWire {
  extendedHandshake: Record<string, unknown>;
  extended(ext: string, payload: Record<string, unknown>): void;
}

/** A bittorrent-protocol extension class (its prototype names it). */
export type ExtensionConstructor = new (wire: ExtensionWire) => { onMessage(buf: Uint8Array): void };

/**
 * The extension for one wire: announces `own` in our extended handshake (the wire sends it after
 * the torrent's `wire` event) and hands every `bitween_auth` message to `onMessage`.
 */
export function authExtension(own: { jid: string; nonce: string }, onMessage: (buf: Uint8Array) => void) {
  class BitweenAuth {
    constructor(wire: ExtensionWire) {
      wire.extendedHandshake.bw_jid = own.jid;
      wire.extendedHandshake.bw_nonce = own.nonce;
    }

    onMessage(buf: Uint8Array): void {
      onMessage(buf);
    }
  }
  (BitweenAuth.prototype as unknown as { name: string }).name = AUTH_EXTENSION;
  return BitweenAuth as ExtensionConstructor;
}

/** Send our proof on a wire whose peer announced `bitween_auth`. */
export function sendProof(wire: ExtensionWire, proof: Uint8Array): void {
  wire.extended(AUTH_EXTENSION, { proof });
}
