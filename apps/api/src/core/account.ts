import { xmpp, type AccountSettings } from '@bitween/messages';
import type { Bus } from '@bitween/bus';
import { unwrap } from './errors.js';
import type { Surface } from './surface.js';

export interface AccountView {
  configured: boolean;
  source: 'environment' | 'setup' | null;
  jid: string | null;
  online: boolean;
}

/** The XMPP account the gateway logs into: read it, or set it at run time (onboarding). */
export class AccountService {
  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    /** Setting an account includes a test login: give it longer than ordinary commands. */
    private readonly setTimeoutMs = 30_000,
  ) {}

  async get(): Promise<AccountView> {
    const status = unwrap(await this.bus.request(xmpp.status, {}, { timeoutMs: this.timeoutMs }));
    // Gateways from before onboarding always had an account from the environment.
    const configured = status.configured ?? true;
    return {
      configured,
      source: configured ? (status.accountSource ?? 'environment') : null,
      jid: configured && status.jid ? status.jid : null,
      online: status.online,
    };
  }

  async set(settings: AccountSettings): Promise<{ jid: string; online: boolean }> {
    return unwrap(await this.bus.request(xmpp.setAccount, settings, { timeoutMs: this.setTimeoutMs }));
  }
}

/** What the adapters see of the account (see surface.ts). */
export type Account = Surface<AccountService>;
