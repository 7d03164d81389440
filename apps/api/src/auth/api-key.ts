import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The file under the data directory that holds the API key (one line, mode 0600). */
export const API_KEY_FILE = 'api-key';

/** A key needs at least this many characters (BITWEEN_API_TOKEN is held to the same). */
export const MIN_KEY_LENGTH = 16;

export function apiKeyPath(dataDir: string): string {
  return join(dataDir, API_KEY_FILE);
}

/** 32 random bytes, base64url: 43 characters, safe in headers, URLs and shells. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface LoadedApiKey {
  key: string;
  /** Where it came from: the override variable, an existing file, or a file written just now. */
  source: 'env' | 'file' | 'generated';
  /** The key file (absent when the key came from the environment). */
  path?: string;
  /**
   * Why the key file found at start-up was not trusted and a new key replaced it (the old file is
   * kept beside it as `api-key.revoked`): it held a key known to be public, or other users could read it.
   */
  replaced?: string;
}

/**
 * SHA-256 digests of keys that are public: the one that sat in this repository's `data/api-key`
 * (commit 7cfceef) until it was removed. A daemon that finds one of them replaces it.
 */
const PUBLIC_KEY_DIGESTS = new Set(['d2c7f86df67e53395b589962c99ca3454d1ceb3377b145bf4b5129235e34573f']);

/** Why `key` must not be used, or null when nothing is known against it. */
export function knownPublicKey(key: string): string | null {
  const hex = createHash('sha256').update(key, 'utf8').digest('hex');
  return PUBLIC_KEY_DIGESTS.has(hex)
    ? 'it is a published key (it was committed to the bitween repository)'
    : null;
}

/**
 * The API key: `override` (BITWEEN_API_TOKEN) when given, else the one stored in
 * `<dataDir>/api-key`, else a new one written there (mode 0600, linked into place only if no file
 * is there yet, so two api instances starting at once agree on one key: the loser reads the winner's). A stored key that
 * is known to be public, or a key file that other users can read, is moved to `api-key.revoked` and
 * replaced by a new key (`replaced` says why). An override that is a public key is refused.
 * `isPublic` (tests) says whether a key is known to be public.
 */
export async function loadOrCreateApiKey(
  dataDir: string,
  override?: string,
  isPublic: (key: string) => string | null = knownPublicKey,
): Promise<LoadedApiKey> {
  if (override !== undefined) {
    const why = isPublic(override);
    if (why)
      throw new Error(`BITWEEN_API_TOKEN: refused, ${why}; choose another or unset it to have one generated`);
    return { key: override, source: 'env' };
  }
  const path = apiKeyPath(dataDir);
  const existing = await readKeyFile(path);
  let replaced: string | undefined;
  if (existing !== null) {
    const why = isPublic(existing.key) ?? readableByOthers(existing.mode);
    if (why === null) return { key: existing.key, source: 'file', path };
    await revoke(path, existing.key);
    replaced = why;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateApiKey();
  // Written in full to a file of our own, then linked into place: the link fails if another
  // instance got there first, and nobody ever reads a half-written key file.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(draft, 'wx', 0o600);
  try {
    await file.writeFile(`${key}\n`, 'utf8');
  } finally {
    await file.close();
  }
  try {
    await link(draft, path);
    return { key, source: 'generated', path, ...(replaced ? { replaced } : {}) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = await readKeyFile(path);
    if (raced === null) throw new Error(`${path} exists but holds no usable key`, { cause: err });
    return { key: raced.key, source: 'file', path };
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

function readableByOthers(mode: number): string | null {
  return (mode & 0o077) !== 0
    ? `the key file could be read by other users of this host (mode ${(mode & 0o777).toString(8)})`
    : null;
}

/**
 * Move the untrusted key file aside. Another api instance may be doing the same at this moment: when
 * what we moved is not the key we judged (it already wrote a fresh one), put that back.
 */
async function revoke(path: string, judged: string): Promise<void> {
  const aside = `${path}.revoked`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await chmod(aside, 0o600);
  const moved = (await readFile(aside, 'utf8')).trim();
  if (moved !== judged) {
    await link(aside, path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
  }
}

/** The key in `path`, trimmed, with the file's mode; null when the file does not exist. Throws on a short key. */
export async function readKeyFile(path: string): Promise<{ key: string; mode: number } | null> {
  let text: string;
  let mode: number;
  try {
    text = await readFile(path, 'utf8');
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const key = text.trim();
  if (key.length < MIN_KEY_LENGTH) {
    throw new Error(
      `${path} holds a key shorter than ${MIN_KEY_LENGTH} characters: delete it to have a new one generated`,
    );
  }
  return { key, mode };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A checker for one key: `verifyApiKey(candidate)` is true only for the exact key, compared in
 * constant time (both sides hashed first, so neither content nor length leaks through timing).
 * This is what every endpoint that takes the key uses (X-API-Key, Bearer, Basic password).
 */
export function apiKeyVerifier(key: string): (candidate: string) => boolean {
  const expected = digest(key);
  return (candidate) => timingSafeEqual(expected, digest(candidate));
}
