import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@bitween/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../config.js';
import { describeLoginError } from '../xmpp/session.js';
import { AccountFile } from './account-file.js';

describe('AccountFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bitween-account-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is empty at first, then holds what was saved, readable by its owner only', async () => {
    const file = new AccountFile(join(dir, 'nested', 'data'));
    expect(await file.load()).toEqual({ kind: 'none' });
    const account = { jid: 'alice@example.org', password: 's3cret', service: 'xmpp://127.0.0.1:5222' };
    await file.save(account);
    expect(await file.load()).toEqual({ kind: 'account', account });
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file.path, 'utf8'))).toEqual(account);
  });

  it('reports a damaged file instead of using it', async () => {
    const file = new AccountFile(dir);
    await writeFile(file.path, '{not json');
    const reasonOf = async () => {
      const loaded = await file.load();
      return loaded.kind === 'invalid' ? loaded.reason : `not invalid: ${loaded.kind}`;
    };
    expect(await reasonOf()).toMatch(/is not JSON/);
    await writeFile(file.path, JSON.stringify({ jid: 'no-at', password: 'x' }));
    expect(await reasonOf()).toMatch(/jid: must be a bare JID/);
  });
});

describe('gateway config', () => {
  const base = { BITWEEN_NATS_URL: 'nats://127.0.0.1:4222' };

  it('runs without an account (onboarding) or with both variables', () => {
    expect(loadGatewayConfig(base).BITWEEN_XMPP_JID).toBeUndefined();
    const config = loadGatewayConfig({
      ...base,
      BITWEEN_XMPP_JID: 'Alice@Example.org',
      BITWEEN_XMPP_PASSWORD: 'x',
    });
    expect(config.BITWEEN_XMPP_JID?.bare).toBe('alice@example.org');
  });

  it('names the missing half of the account', () => {
    expect(() => loadGatewayConfig({ ...base, BITWEEN_XMPP_JID: 'alice@example.org' })).toThrow(
      /BITWEEN_XMPP_PASSWORD: is required when BITWEEN_XMPP_JID is set/,
    );
    expect(() => loadGatewayConfig({ ...base, BITWEEN_XMPP_PASSWORD: 'x' })).toThrow(ConfigError);
  });
});

describe('describeLoginError', () => {
  it('says what the user can do about a failed login', () => {
    const sasl = Object.assign(new Error('not-authorized'), {
      name: 'SASLError',
      condition: 'not-authorized',
    });
    expect(describeLoginError(sasl, 'xmpp://h:5222')).toMatch(
      /refused the login \(not-authorized\).*password/,
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeLoginError(refused, 'xmpp://h:5222')).toBe(
      'cannot connect to xmpp://h:5222: connection refused',
    );
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    expect(describeLoginError(dns, 'example.org')).toMatch(/cannot find the XMPP server for example.org/);
    expect(describeLoginError(new Error('no acceptable SASL mechanism'), 'x')).toBe(
      'no acceptable SASL mechanism',
    );
  });
});
