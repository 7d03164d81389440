import { createHmac } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueTicket, loadOrCreateSecret, SECRET_FILE } from './ticket-secret.js';

describe('the rendezvous secret file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is made once with mode 0600 and reused across restarts', async () => {
    const data = join(dir, 'data'); // made when missing
    const first = await loadOrCreateSecret(data);
    expect(first.created).toBe(true);
    expect(first.secret).toHaveLength(32);
    expect((await stat(join(data, SECRET_FILE))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSecret(data);
    expect(again.created).toBe(false);
    expect(again.secret.equals(first.secret)).toBe(true);
    expect(await readdir(data)).toEqual([SECRET_FILE]); // no temp files left behind
  });

  it('concurrent first starts agree on one secret (atomic create)', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecret(dir)));
    expect(all.filter((r) => r.created)).toHaveLength(1);
    for (const r of all) expect(r.secret.equals(all[0]!.secret)).toBe(true);
    expect(await readdir(dir)).toEqual([SECRET_FILE]);
  });

  it('tightens a loosened mode and refuses a file of the wrong size, naming it', async () => {
    const { secret } = await loadOrCreateSecret(dir);
    await chmod(join(dir, SECRET_FILE), 0o644);
    expect((await loadOrCreateSecret(dir)).secret.equals(secret)).toBe(true);
    expect((await stat(join(dir, SECRET_FILE))).mode & 0o777).toBe(0o600);
    await writeFile(join(dir, SECRET_FILE), 'short');
    await expect(loadOrCreateSecret(dir)).rejects.toThrow(/rendezvous-secret holds 5 bytes, not 32/);
  });
});

describe('issueTicket', () => {
  it('is base64url(HMAC-SHA256(secret, "bitween ticket v0\\n" + own + "\\n" + contact)), 43 characters', () => {
    const secret = Buffer.alloc(32, 7);
    const ticket = issueTicket(secret, 'alice@example.org', 'bob@example.org');
    const expected = createHmac('sha256', secret)
      .update('bitween ticket v0\nalice@example.org\nbob@example.org')
      .digest()
      .toString('base64url');
    expect(ticket).toBe(expected);
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issueTicket(secret, 'alice@example.org', 'carol@example.org')).not.toBe(ticket);
    expect(issueTicket(Buffer.alloc(32, 8), 'alice@example.org', 'bob@example.org')).not.toBe(ticket);
  });
});
