import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyVerifier, loadOrCreateApiKey } from './api-key.js';
import { basicPasswordOf, presentedCredential } from './credentials.js';
import { FailureLimiter } from './failure-limiter.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bitween-key-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadOrCreateApiKey', () => {
  // Stands for the key that sat in data/api-key (commit 7cfceef), which is not repeated here.
  const published = 'a-key-that-everyone-knows-0123456789';
  const isPublic = (key: string) => (key === published ? 'it is a published key (test)' : null);

  it('generates a key on first start (mode 0600) and reads the same one afterwards', async () => {
    const data = join(dir, 'a', 'data');
    const first = await loadOrCreateApiKey(data);
    expect(first).toMatchObject({ source: 'generated', path: join(data, 'api-key') });
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(data, 'api-key'))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateApiKey(data)).toEqual({ key: first.key, source: 'file', path: first.path });
  });

  it('agrees on one key when two start at once', async () => {
    const data = join(dir, 'race');
    const [a, b] = await Promise.all([loadOrCreateApiKey(data), loadOrCreateApiKey(data)]);
    expect(a.key).toBe(b.key);
    expect((await readFile(join(data, 'api-key'), 'utf8')).trim()).toBe(a.key);
  });

  it('takes the override and writes nothing', async () => {
    const data = join(dir, 'override');
    expect(await loadOrCreateApiKey(data, 'x'.repeat(16))).toEqual({ key: 'x'.repeat(16), source: 'env' });
    await expect(stat(join(data, 'api-key'))).rejects.toThrow(/ENOENT/);
  });

  it('replaces the key that was published in the repository, keeping the old file aside', async () => {
    const data = join(dir, 'published');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, 'api-key'), `${published}\n`, { mode: 0o600 });
    const loaded = await loadOrCreateApiKey(data, undefined, isPublic);
    expect(loaded.source).toBe('generated');
    expect(loaded.replaced).toMatch(/published key \(test\)/);
    expect(loaded.key).not.toBe(published);
    expect((await readFile(join(data, 'api-key'), 'utf8')).trim()).toBe(loaded.key);
    expect((await readFile(join(data, 'api-key.revoked'), 'utf8')).trim()).toBe(published);
    expect((await stat(join(data, 'api-key.revoked'))).mode & 0o777).toBe(0o600);
    // The next start trusts the new key.
    expect(await loadOrCreateApiKey(data, undefined, isPublic)).toEqual({
      key: loaded.key,
      source: 'file',
      path: loaded.path,
    });
  });

  it('replaces a key file that other users can read', async () => {
    const data = join(dir, 'readable');
    const first = await loadOrCreateApiKey(data);
    await chmod(join(data, 'api-key'), 0o644);
    const second = await loadOrCreateApiKey(data);
    expect(second.replaced).toMatch(/could be read by other users of this host \(mode 644\)/);
    expect(second.key).not.toBe(first.key);
    expect((await stat(join(data, 'api-key'))).mode & 0o777).toBe(0o600);
  });

  it('agrees on one new key when two instances replace a public one at once', async () => {
    const data = join(dir, 'published-race');
    const first = await loadOrCreateApiKey(data);
    await chmod(join(data, 'api-key'), 0o640);
    const [a, b] = await Promise.all([loadOrCreateApiKey(data), loadOrCreateApiKey(data)]);
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(first.key);
    expect((await readFile(join(data, 'api-key'), 'utf8')).trim()).toBe(a.key);
  });

  it('refuses a published key as BITWEEN_API_TOKEN', async () => {
    await expect(loadOrCreateApiKey(join(dir, 'env-published'), published, isPublic)).rejects.toThrow(
      /^BITWEEN_API_TOKEN: refused, it is a published key/,
    );
  });

  it('refuses a key file holding a short key', async () => {
    const data = join(dir, 'short');
    await loadOrCreateApiKey(data);
    await writeFile(join(data, 'api-key'), 'abc\n');
    await expect(loadOrCreateApiKey(data)).rejects.toThrow(/shorter than 16 characters: delete it/);
  });
});

describe('verifyApiKey', () => {
  it('is true only for the exact key', () => {
    const verifyApiKey = apiKeyVerifier('the-key-0123456789');
    expect(verifyApiKey('the-key-0123456789')).toBe(true);
    expect(verifyApiKey('the-key-012345678')).toBe(false);
    expect(verifyApiKey('')).toBe(false);
    expect(verifyApiKey('THE-KEY-0123456789')).toBe(false);
  });
});

describe('presentedCredential', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('reads X-API-Key, Bearer and the Basic password', () => {
    expect(presentedCredential({ 'x-api-key': ' k1 ' })?.key).toBe('k1');
    expect(presentedCredential({ authorization: 'Bearer k2' })?.key).toBe('k2');
    expect(presentedCredential({ authorization: 'bearer   k3 ' })?.key).toBe('k3');
    expect(presentedCredential({ authorization: basic('admin:k4:with:colons') })?.key).toBe('k4:with:colons');
    expect(presentedCredential({ 'x-api-key': 'k5', authorization: 'Bearer other' })?.key).toBe('k5');
  });
  it('says which scheme the key came in (Basic is for the Transmission endpoint only)', () => {
    expect(presentedCredential({ 'x-api-key': 'k1' })).toEqual({ key: 'k1', scheme: 'x-api-key' });
    expect(presentedCredential({ authorization: 'Bearer k2' })).toEqual({ key: 'k2', scheme: 'bearer' });
    expect(presentedCredential({ authorization: basic('u:k3') })).toEqual({ key: 'k3', scheme: 'basic' });
    expect(presentedCredential({})).toBeNull();
  });

  it('is null for anything else', () => {
    expect(presentedCredential({})).toBeNull();
    expect(presentedCredential({ 'x-api-key': '' })).toBeNull();
    expect(presentedCredential({ authorization: 'Bearer' })).toBeNull();
    expect(presentedCredential({ authorization: 'Token k' })).toBeNull();
    expect(basicPasswordOf(basic('no-colon'))).toBeNull();
    expect(basicPasswordOf(basic('user:'))).toBeNull();
    expect(basicPasswordOf('Basic !!!')).toBeNull();
  });
});

describe('FailureLimiter', () => {
  it('puts an address over its limit after max failures until its window ends, still counting', () => {
    let now = 0;
    const limiter = new FailureLimiter({ max: 3, windowMs: 10_000, now: () => now });
    expect(limiter.fail('a')).toEqual({ failures: 1, blockedFor: null });
    expect(limiter.fail('a')).toEqual({ failures: 2, blockedFor: null });
    expect(limiter.blockedFor('a')).toBeNull();
    expect(limiter.fail('a')).toEqual({ failures: 3, blockedFor: 10 });
    expect(limiter.blockedFor('a')).toBe(10);
    expect(limiter.blockedFor('b')).toBeNull();
    now = 9_500;
    expect(limiter.fail('a')).toEqual({ failures: 4, blockedFor: 1 });
    now = 10_000;
    expect(limiter.blockedFor('a')).toBeNull();
    expect(limiter.fail('a')).toEqual({ failures: 1, blockedFor: null });
  });

  it('tracks a bounded number of addresses', () => {
    const limiter = new FailureLimiter({ max: 1, windowMs: 10_000, maxTracked: 2 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c');
    expect(limiter.blockedFor('a')).toBeNull();
    expect(limiter.blockedFor('c')).not.toBeNull();
  });
});
