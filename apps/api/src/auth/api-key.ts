import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
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
}

/**
 * The API key: `override` (BITWEEN_API_TOKEN) when given, else the one stored in
 * `<dataDir>/api-key`, else a new one written there (created exclusively with mode 0600, so two
 * api instances starting at once agree on one key: the loser reads the winner's).
 */
export async function loadOrCreateApiKey(dataDir: string, override?: string): Promise<LoadedApiKey> {
  if (override !== undefined) return { key: override, source: 'env' };
  const path = apiKeyPath(dataDir);
  const existing = await readKeyFile(path);
  if (existing !== null) return { key: existing, source: 'file', path };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateApiKey();
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${key}\n`, 'utf8');
    } finally {
      await file.close();
    }
    return { key, source: 'generated', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = await readKeyFile(path);
    if (raced === null) throw new Error(`${path} exists but holds no usable key`, { cause: err });
    return { key: raced, source: 'file', path };
  }
}

/** The key in `path`, trimmed; null when the file does not exist. Throws on a short key. */
export async function readKeyFile(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
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
  return key;
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
