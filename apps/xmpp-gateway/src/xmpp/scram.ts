import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) as `saslmechanisms` mechanisms for
 * xmpp.js, on node:crypto. xmpp.js ships SCRAM-SHA-1 only, with a pure-JS PBKDF2 (~1 s per
 * login); these take milliseconds. No channel binding (`n,,`); usernames and passwords are
 * used as given (no SASLprep). The server's signature (sent with `<success/>`, which xmpp.js
 * does not hand back to the mechanism) is computed but not checked.
 */
type Hash = 'sha1' | 'sha256';

interface Credentials {
  username?: string | null;
  password?: string | null;
}

const saslname = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function parse(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** Accepted iteration counts: enough to be SCRAM, few enough that a hostile server cannot stall us. */
const MIN_ITERATIONS = 1;
const MAX_ITERATIONS = 1_000_000;

class ScramMechanism {
  readonly clientFirst = true;
  #stage: 'initial' | 'challenge' | 'final' = 'initial';
  readonly #cnonce: string;
  #firstBare = '';
  #challenge = '';
  serverSignature: Buffer | null = null;

  /** `cnonce` only for tests (RFC test vectors); random otherwise. */
  constructor(
    readonly name: string,
    private readonly hash: Hash,
    opts: { cnonce?: string } = {},
  ) {
    this.#cnonce = opts.cnonce ?? randomBytes(18).toString('base64');
  }

  #hmac(key: Buffer, data: string | Buffer): Buffer {
    return createHmac(this.hash, key).update(data).digest();
  }

  response(cred: Credentials): string {
    if (this.#stage === 'initial') {
      this.#firstBare = `n=${saslname(cred.username ?? '')},r=${this.#cnonce}`;
      this.#stage = 'challenge';
      return `n,,${this.#firstBare}`;
    }
    if (this.#stage === 'final') return '';
    const values = parse(this.#challenge);
    const nonce = values.get('r') ?? '';
    const salt = Buffer.from(values.get('s') ?? '', 'base64');
    const iterations = Number(values.get('i'));
    if (!nonce.startsWith(this.#cnonce) || nonce.length <= this.#cnonce.length)
      throw new Error(`${this.name}: the server's nonce does not extend ours`);
    if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS)
      throw new Error(`${this.name}: iteration count ${values.get('i')} out of range`);
    const keyLength = this.hash === 'sha1' ? 20 : 32;
    const salted = pbkdf2Sync(cred.password ?? '', salt, iterations, keyLength, this.hash);
    const clientKey = this.#hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,")
    const authMessage = `${this.#firstBare},${this.#challenge},${withoutProof}`;
    const proof = xor(clientKey, this.#hmac(storedKey, authMessage)).toString('base64');
    this.serverSignature = this.#hmac(this.#hmac(salted, 'Server Key'), authMessage);
    this.#stage = 'final';
    return `${withoutProof},p=${proof}`;
  }

  challenge(chal: string): this {
    if (this.#stage === 'final') {
      // A server-final-message (some servers send it as a challenge): check it.
      const v = parse(chal).get('v');
      if (v && this.serverSignature) {
        const got = Buffer.from(v, 'base64');
        if (got.length !== this.serverSignature.length || !timingSafeEqual(got, this.serverSignature))
          throw new Error(`${this.name}: the server's signature is wrong`);
      }
      return this;
    }
    this.#challenge = chal;
    return this;
  }
}

export class ScramSha1 extends ScramMechanism {
  constructor(opts: { cnonce?: string } = {}) {
    super('SCRAM-SHA-1', 'sha1', opts);
  }
}

export class ScramSha256 extends ScramMechanism {
  constructor(opts: { cnonce?: string } = {}) {
    super('SCRAM-SHA-256', 'sha256', opts);
  }
}

/** Mechanisms in order of preference. PLAIN only where the password cannot be read on the way. */
export const MECHANISM_PREFERENCE = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;

export function chooseMechanism(offered: readonly string[], plainAllowed: boolean): string | null {
  for (const m of MECHANISM_PREFERENCE) {
    if (!offered.includes(m)) continue;
    if (m === 'PLAIN' && !plainAllowed) continue;
    return m;
  }
  return null;
}
