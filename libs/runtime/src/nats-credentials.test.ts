import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config.js';
import { natsInboxPrefix, readNatsSeedFile } from './nats-credentials.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nats-seed-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function seedFile(content: string, mode = 0o600): string {
  const file = path.join(dir, `seed-${Math.random().toString(36).slice(2)}.nk`);
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
}
const user = createUser();
const seed = new TextDecoder().decode(user.getSeed());

describe('readNatsSeedFile', () => {
  it('reads a user seed and its public key', () => {
    const creds = readNatsSeedFile(seedFile(`${seed}\n`));
    expect(creds.publicKey).toBe(user.getPublicKey());
    expect(new TextDecoder().decode(creds.seed)).toBe(seed);
    expect(creds.mode).toBe(0o600);
    expect(natsInboxPrefix(creds.publicKey)).toBe(`_INBOX.${user.getPublicKey()}`);
  });

  it('accepts a group-readable file (connectNats warns about it)', () => {
    expect(readNatsSeedFile(seedFile(seed, 0o640)).mode).toBe(0o640);
  });

  it('refuses a file other users can read or write, without quoting the seed', () => {
    for (const mode of [0o644, 0o602]) {
      const file = seedFile(seed, mode);
      expect(() => readNatsSeedFile(file)).toThrow(/readable or writable by other users .*chmod 600/);
      expect(() => readNatsSeedFile(file)).not.toThrow(new RegExp(seed));
    }
  });

  it('says what is wrong: missing, a folder, not a seed, a bad checksum, another kind of key', () => {
    expect(() => readNatsSeedFile(path.join(dir, 'nope.nk'))).toThrow(/nope\.nk does not exist/);
    const sub = path.join(dir, 'sub');
    mkdirSync(sub, { mode: 0o700 });
    expect(() => readNatsSeedFile(sub)).toThrow(/is not a regular file/);
    expect(() => readNatsSeedFile(seedFile('hello'))).toThrow(/does not hold an NKEY user seed/);
    expect(() => readNatsSeedFile(seedFile(''))).toThrow(/does not hold an NKEY user seed/);
    // One character in the middle changed (the last one may carry only padding bits of the
    // base32 encoding: changing it can leave the decoded seed as it was). CRC-16 catches any
    // change within 16 bits.
    const broken = `${seed.slice(0, 20)}${seed[20] === 'A' ? 'B' : 'A'}${seed.slice(21)}`;
    expect(() => readNatsSeedFile(seedFile(broken))).toThrow(/not hold a valid NKEY user seed/);
    // An account seed (SA…) is not a user's.
    expect(() => readNatsSeedFile(seedFile(`SA${seed.slice(2)}`))).toThrow(/user seed/);
    expect(() => readNatsSeedFile(seedFile('x'.repeat(10_000)))).toThrow(/too large/);
  });

  it('is what env.natsSeedFile reads, and a problem names the variable', () => {
    const Schema = z.object({ BITWEEN_NATS_NKEY_SEED_FILE: env.natsSeedFile() });
    expect(loadConfig(Schema, {}).BITWEEN_NATS_NKEY_SEED_FILE).toBeUndefined();
    const file = seedFile(seed);
    expect(
      loadConfig(Schema, { BITWEEN_NATS_NKEY_SEED_FILE: file }).BITWEEN_NATS_NKEY_SEED_FILE,
    ).toMatchObject({
      file,
      publicKey: user.getPublicKey(),
    });
    let error: unknown;
    try {
      loadConfig(Schema, { BITWEEN_NATS_NKEY_SEED_FILE: path.join(dir, 'missing.nk') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^BITWEEN_NATS_NKEY_SEED_FILE: .*missing\.nk does not exist/),
    ]);
  });
});
