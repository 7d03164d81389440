import { describe, expect, it } from 'vitest';
import { chooseMechanism, ScramSha1, ScramSha256 } from './scram.js';
import { isLoopbackService } from './session.js';

const cred = { username: 'user', password: 'pencil' };

describe('SCRAM', () => {
  it('SCRAM-SHA-1 answers the RFC 5802 example', () => {
    const m = new ScramSha1({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    expect(m.response(cred)).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    m.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(m.response(cred)).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(m.serverSignature?.toString('base64')).toBe('rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  });

  it('SCRAM-SHA-256 answers the RFC 7677 example', () => {
    const m = new ScramSha256({ cnonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(m.response(cred)).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    m.challenge('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    expect(m.response(cred)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(m.serverSignature?.toString('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('refuses a server nonce that does not extend ours, and absurd iteration counts', () => {
    const m = new ScramSha256({ cnonce: 'abc' });
    m.response(cred);
    m.challenge('r=xyz123,s=QSXCR+Q6sek8bf92,i=4096');
    expect(() => m.response(cred)).toThrow(/nonce/);
    const n = new ScramSha1({ cnonce: 'abc' });
    n.response(cred);
    n.challenge('r=abc123,s=QSXCR+Q6sek8bf92,i=999999999');
    expect(() => n.response(cred)).toThrow(/iteration/);
  });

  it('checks the server signature when the server sends it as a challenge', () => {
    const m = new ScramSha1({ cnonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    m.response(cred);
    m.challenge('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    m.response(cred);
    expect(() => m.challenge('v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toThrow(/signature/);
    expect(() => m.challenge('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
  });
});

describe('mechanism choice', () => {
  it('prefers SCRAM-SHA-256, then SCRAM-SHA-1; PLAIN only where allowed', () => {
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], false)).toBe('SCRAM-SHA-256');
    expect(chooseMechanism(['PLAIN', 'SCRAM-SHA-1'], true)).toBe('SCRAM-SHA-1');
    expect(chooseMechanism(['PLAIN'], true)).toBe('PLAIN');
    expect(chooseMechanism(['PLAIN'], false)).toBeNull();
    expect(chooseMechanism(['DIGEST-MD5'], true)).toBeNull();
  });

  it('knows loopback services', () => {
    expect(isLoopbackService('xmpp://127.0.0.1:5222')).toBe(true);
    expect(isLoopbackService('xmpps://[::1]:5223')).toBe(true);
    expect(isLoopbackService('xmpp://localhost:5222')).toBe(true);
    expect(isLoopbackService('xmpp://example.org:5222')).toBe(false);
    expect(isLoopbackService('example.org')).toBe(false);
    expect(isLoopbackService('xmpp://10.0.0.1:5222')).toBe(false);
  });
});
