import bencode from 'bencode';
import { describe, expect, it } from 'vitest';
import { decodeProofMessage, readHello } from './auth-extension.js';

const enc = (s: string) => new TextEncoder().encode(s);
const nonce = 'ab'.repeat(16);

describe('bitween_auth codec', () => {
  it('reads bw_jid (lower-cased) and bw_nonce from an extended handshake', () => {
    expect(readHello({ bw_jid: enc('Alice@Example.org'), bw_nonce: enc(nonce) })).toEqual({
      jid: 'alice@example.org',
      nonce,
    });
  });

  it('tells an anonymous peer from a malformed hello', () => {
    expect(readHello({ bw_jid: enc(''), bw_nonce: enc(nonce) })).toMatchObject({ anonymous: true });
    for (const bad of [
      {},
      { bw_jid: enc('a@b/resource'), bw_nonce: enc(nonce) },
      { bw_jid: enc('a@b'), bw_nonce: enc('xyz') },
      { bw_jid: new Uint8Array([0xff, 0xfe]), bw_nonce: enc(nonce) },
      { bw_jid: enc('a'.repeat(3072)), bw_nonce: enc(nonce) },
      { bw_jid: 7, bw_nonce: enc(nonce) },
    ])
      expect(readHello(bad)).toMatchObject({ anonymous: false });
  });

  it('takes a 32-byte proof and refuses anything else', () => {
    const proof = new Uint8Array(32).fill(1);
    expect(decodeProofMessage(bencode.encode({ proof }))).toEqual(proof);
    expect(decodeProofMessage(bencode.encode({ proof: proof.subarray(1) }))).toBeNull();
    expect(decodeProofMessage(bencode.encode({ nope: 1 }))).toBeNull();
    expect(decodeProofMessage(enc('d5:proof'))).toBeNull();
    expect(decodeProofMessage(new Uint8Array(300))).toBeNull();
  });
});
