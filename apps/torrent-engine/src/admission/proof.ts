import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The proof a BitTorrent peer gives that it is a given contact (docs/friends-behind-routers.md,
 * "Admission"): HMAC-SHA256 keyed with the ticket the verifier issued to the prover, over both
 * nonces and the torrent. Pure functions; the wire protocol is in auth-extension.ts.
 */

/** A nonce: 16 random bytes, lower-case hex (what `bw_nonce` carries). */
export const NONCE_PATTERN = /^[0-9a-f]{32}$/;

/** Proof length in bytes (HMAC-SHA256). */
export const PROOF_BYTES = 32;

export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** A ticket (43 base64url characters, as the contract carries it) → its 32-byte key. */
export function ticketKey(ticket: string): Buffer {
  const key = Buffer.from(ticket, 'base64url');
  if (key.length !== 32) throw new Error('a ticket must decode to 32 bytes');
  return key;
}

/**
 * HMAC-SHA256(ticket, "bitween-auth v0|" + verifierNonce + "|" + proverNonce + "|" + infoHash).
 * The prover computes it with the ticket it received from the verifier; the verifier with the
 * ticket it issued to the prover.
 */
export function computeProof(
  key: Buffer,
  verifierNonce: string,
  proverNonce: string,
  infoHash: string,
): Buffer {
  return createHmac('sha256', key)
    .update(`bitween-auth v0|${verifierNonce}|${proverNonce}|${infoHash.toLowerCase()}`)
    .digest();
}

/** Does `proof` (as received) match what the prover should have sent? Constant time. */
export function checkProof(
  key: Buffer,
  verifierNonce: string,
  proverNonce: string,
  infoHash: string,
  proof: Uint8Array,
): boolean {
  if (proof.length !== PROOF_BYTES) return false;
  return timingSafeEqual(computeProof(key, verifierNonce, proverNonce, infoHash), proof);
}
