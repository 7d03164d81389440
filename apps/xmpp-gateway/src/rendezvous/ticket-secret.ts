import { createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const SECRET_FILE = 'rendezvous-secret';
const SECRET_BYTES = 32;

/**
 * The gateway's ticket secret: 32 random bytes in BITWEEN_DATA_DIR/rendezvous-secret (mode 0600),
 * made once and kept across restarts (a new secret would revoke every ticket contacts hold).
 * Created atomically: written to a private temp file, then hard-linked to its name, which fails
 * if another process made it first (then that one is read). A file of the wrong size is an error
 * naming the file (never silently replaced: contacts hold tickets derived from it).
 */
export async function loadOrCreateSecret(dataDir: string): Promise<{ secret: Buffer; created: boolean }> {
  const path = join(dataDir, SECRET_FILE);
  const existing = await readSecret(path);
  if (existing) return { secret: existing, created: false };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const secret = randomBytes(SECRET_BYTES);
  const file = await open(tmp, 'wx', 0o600);
  try {
    await file.writeFile(secret);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = await readSecret(path); // made by another process meanwhile
    if (!other) throw new Error(`${path} appeared but cannot be read`, { cause: err });
    return { secret: other, created: false };
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return { secret, created: true };
}

async function readSecret(path: string): Promise<Buffer | null> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the rendezvous secret ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (data.length !== SECRET_BYTES)
    throw new Error(
      `${path} holds ${data.length} bytes, not ${SECRET_BYTES}: remove it to make a new secret (contacts then get new tickets)`,
    );
  // Someone loosened its mode: tighten it again (the secret is as good as a password).
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  return data;
}

/**
 * The ticket we issue to `contact`: base64url(HMAC-SHA256(secret, "bitween ticket v0\n" + own +
 * "\n" + contact)), 43 characters. Both JIDs are bare and lower case.
 */
export function issueTicket(secret: Buffer, ownBareJid: string, contactBareJid: string): string {
  return createHmac('sha256', secret)
    .update(`bitween ticket v0\n${ownBareJid}\n${contactBareJid}`, 'utf8')
    .digest('base64url');
}
