import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed stream links: a short-lived token in the URL of one file's `/content` (for players such
 * as VLC, mpv or a `<video>` element, which cannot send the API key in a header). The token is
 * `<expiry, unix seconds>.<HMAC-SHA256(key, "<hash>/<file index>/<expiry>"), base64url>`; the key
 * is derived from the daemon's API key, so every api replica accepts the same links and changing
 * the API key revokes every link. A token opens only the file it was minted for, until it expires.
 */
export class LinkSigner {
  readonly #key: Buffer;

  constructor(apiKey: string) {
    this.#key = createHmac('sha256', apiKey).update('bitween stream links v1').digest();
  }

  mint(hash: string, file: number, expiresAt: number): string {
    const exp = Math.floor(expiresAt / 1000);
    return `${exp}.${this.#mac(hash, file, exp).toString('base64url')}`;
  }

  /** True for a token minted for this hash and file that has not expired at `now` (ms). */
  verify(token: string, hash: string, file: number, now = Date.now()): boolean {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const exp = Number(m[1]);
    if (exp * 1000 <= now) return false;
    const given = Buffer.from(m[2]!, 'base64url');
    const want = this.#mac(hash, file, exp);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  #mac(hash: string, file: number, exp: number): Buffer {
    return createHmac('sha256', this.#key).update(`${hash.toLowerCase()}/${file}/${exp}`).digest();
  }
}
