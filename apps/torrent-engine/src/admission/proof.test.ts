import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NONCE_PATTERN, checkProof, computeProof, newNonce, ticketKey } from './proof.js';

const ticket = Buffer.alloc(32, 7).toString('base64url');
const hash = 'aa'.repeat(20);

describe('ticket proofs', () => {
  it('is HMAC-SHA256 keyed by the ticket over the tagged nonces and hash', () => {
    const key = ticketKey(ticket);
    const expected = createHmac('sha256', Buffer.alloc(32, 7))
      .update(`bitween-auth v0|v-nonce|p-nonce|${hash}`)
      .digest();
    expect(computeProof(key, 'v-nonce', 'p-nonce', hash.toUpperCase())).toEqual(expected);
  });

  it('checks a proof made with the same ticket and nonces, and nothing else', () => {
    const key = ticketKey(ticket);
    const [v, p] = [newNonce(), newNonce()];
    const proof = computeProof(key, v, p, hash);
    expect(checkProof(key, v, p, hash, proof)).toBe(true);
    // Nonces swapped (a proof reflected back to its maker), another hash, another ticket.
    expect(checkProof(key, p, v, hash, proof)).toBe(false);
    expect(checkProof(key, v, p, 'bb'.repeat(20), proof)).toBe(false);
    expect(checkProof(ticketKey(Buffer.alloc(32, 8).toString('base64url')), v, p, hash, proof)).toBe(false);
    // Truncated or empty proofs are refused without throwing.
    expect(checkProof(key, v, p, hash, proof.subarray(0, 31))).toBe(false);
    expect(checkProof(key, v, p, hash, new Uint8Array())).toBe(false);
  });

  it('makes fresh 16-byte hex nonces', () => {
    const a = newNonce();
    expect(a).toMatch(NONCE_PATTERN);
    expect(newNonce()).not.toBe(a);
  });

  it('refuses a ticket that is not 32 bytes', () => {
    expect(() => ticketKey('short')).toThrow(/32 bytes/);
  });
});
