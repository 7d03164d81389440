import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AccountSettings } from '@bitween/messages';
import writeFileAtomic from 'write-file-atomic';

export const ACCOUNT_FILE = 'xmpp-account.json';

export type StoredAccount =
  | { kind: 'none' }
  | { kind: 'account'; account: AccountSettings }
  /** The file exists but cannot be used; the gateway stays unconfigured and says why. */
  | { kind: 'invalid'; reason: string };

/**
 * The XMPP account set at run time (onboarding), kept in the data dir: written atomically
 * (temp file, fsync, rename) with mode 0600, since it holds the password.
 */
export class AccountFile {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, ACCOUNT_FILE);
  }

  async load(): Promise<StoredAccount> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      return { kind: 'invalid', reason: `cannot read ${this.path}: ${(err as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: 'invalid', reason: `${this.path} is not JSON` };
    }
    const parsed = AccountSettings.safeParse(json);
    if (!parsed.success)
      return {
        kind: 'invalid',
        reason: `${this.path}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`,
      };
    return { kind: 'account', account: parsed.data };
  }

  async save(account: AccountSettings): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600, fsync: true });
  }
}
