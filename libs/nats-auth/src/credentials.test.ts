import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readNatsSeedFile } from '@bitween/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureNatsAuth, natsAuthLayout } from './credentials.js';
import { ROLES } from './permissions.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nats-auth-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;

describe('ensureNatsAuth', () => {
  it('generates one seed per service (0600 in a 0700 folder) and a configuration with public keys only', () => {
    const layout = natsAuthLayout(dir);
    const auth = ensureNatsAuth(layout);
    const config = readFileSync(layout.serverConfig, 'utf8');
    expect(mode(layout.serverConfig)).toBe(0o644);
    const keys = new Set<string>();
    for (const role of ROLES) {
      const user = auth.users[role];
      expect(user.seed).toBe('created');
      expect(user.seedFile).toBe(path.join(dir, role, 'seed.nk'));
      expect(mode(user.seedFile)).toBe(0o600);
      expect(mode(path.dirname(user.seedFile))).toBe(0o700);
      const seed = readFileSync(user.seedFile, 'utf8').trim();
      expect(seed).toMatch(/^SU[A-Z2-7]{56}$/);
      expect(readNatsSeedFile(user.seedFile).publicKey).toBe(user.publicKey);
      expect(config).toContain(`nkey: "${user.publicKey}"`);
      expect(config).toContain(`"_INBOX.${user.publicKey}.>"`);
      expect(config).not.toContain(seed);
      keys.add(user.publicKey);
    }
    expect(keys.size).toBe(3);
    expect(config).toMatch(/^authorization \{$/m);
    expect(config.match(/allow_responses: true/g)).toHaveLength(2); // engine and gateway
  });

  it('keeps the seeds on the next start and writes the configuration again', () => {
    const layout = natsAuthLayout(dir);
    const first = ensureNatsAuth(layout);
    writeFileSync(layout.serverConfig, 'edited by hand');
    const second = ensureNatsAuth(layout);
    for (const role of ROLES) {
      expect(second.users[role].seed).toBe('kept');
      expect(second.users[role].publicKey).toBe(first.users[role].publicKey);
    }
    expect(readFileSync(layout.serverConfig, 'utf8')).toContain(first.users.api.publicKey);
  });

  it('takes a seed file that others could read back to 0600, and replaces a broken one', () => {
    const layout = natsAuthLayout(dir);
    const first = ensureNatsAuth(layout);
    chmodSync(layout.seeds.api, 0o644);
    writeFileSync(layout.seeds['xmpp-gateway'], 'not a seed\n');
    const second = ensureNatsAuth(layout);
    expect(mode(layout.seeds.api)).toBe(0o600);
    expect(second.users.api).toMatchObject({ seed: 'kept', publicKey: first.users.api.publicKey });
    expect(second.users['xmpp-gateway'].seed).toBe('replaced');
    expect(second.users['xmpp-gateway'].publicKey).not.toBe(first.users['xmpp-gateway'].publicKey);
    expect(mode(layout.seeds['xmpp-gateway'])).toBe(0o600);
    const config = readFileSync(layout.serverConfig, 'utf8');
    expect(config).toContain(second.users['xmpp-gateway'].publicKey);
    expect(config).not.toContain(first.users['xmpp-gateway'].publicKey);
  });

  it('adds extra users (tests) with the permissions they are given', () => {
    const layout = natsAuthLayout(dir);
    const auth = ensureNatsAuth({
      ...layout,
      extra: [
        {
          name: 'observer',
          seedFile: path.join(dir, 'observer', 'seed.nk'),
          permissions: (inbox) => ({ publish: { allow: ['x.y'] }, subscribe: { allow: [`${inbox}.>`] } }),
        },
      ],
    });
    const observer = auth.extra[0]!;
    const config = readFileSync(layout.serverConfig, 'utf8');
    expect(config).toContain('# observer');
    expect(config).toContain(`"_INBOX.${observer.publicKey}.>"`);
    expect(config).toContain('"x.y"');
  });
});
