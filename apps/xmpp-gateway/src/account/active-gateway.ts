import { randomBytes } from 'node:crypto';
import { BusError, type AccountSettings } from '@bitween/messages';
import type { Bus, EngineRegistry, Logger } from '@bitween/bus';
import { Gateway, type GatewayOptions } from '../gateway.js';
import { BITWEEN_DISCO } from '../protocol/caps.js';
import { bulkLog, bulkResource } from '../xmpp/bulk-session.js';
import { XmppSession } from '../xmpp/session.js';

export type AccountSource = 'environment' | 'setup';

export interface ActiveAccount {
  settings: AccountSettings;
  source: AccountSource;
}

export interface ActiveGatewayOptions {
  bus: Bus;
  registry: EngineRegistry;
  log: Logger;
  /** Our XMPP resource (the same for every account). */
  resource: string;
  /** Open a second, presence-less session for the share list's bulk uploads (xmpp/bulk-session.ts). */
  bulkSession?: boolean;
  /** Everything else a Gateway takes. */
  gateway: Omit<GatewayOptions, 'session' | 'bus' | 'registry' | 'log'>;
  /** Storage for an account set at run time. */
  save(settings: AccountSettings): Promise<void>;
  /** How long a login check may take before it counts as failed. */
  loginCheckMs?: number;
  /** The session in use changed (null: none): XEP-0215 discovery follows it. */
  onSession?: (session: XmppSession | null) => void;
}

/** How long `setAccount` waits for the new session to come online before answering anyway. */
const ONLINE_WAIT_MS = 10_000;

function splitJid(jid: string): { local: string; domain: string } {
  const at = jid.indexOf('@');
  return { local: jid.slice(0, at), domain: jid.slice(at + 1).toLowerCase() };
}

/**
 * The gateway of the account in use, or none yet: holds at most one Gateway (with its XMPP
 * session) and replaces it when the account is set at run time (first-run onboarding, or a
 * changed account). Account changes run one at a time.
 */
export class ActiveGateway {
  #current: { gateway: Gateway; session: XmppSession; account: ActiveAccount } | null = null;
  #extraAddresses: string[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(private readonly opts: ActiveGatewayOptions) {}

  get gateway(): Gateway | null {
    return this.#current?.gateway ?? null;
  }

  get account(): ActiveAccount | null {
    return this.#current?.account ?? null;
  }

  /** Start (or switch to) a gateway for this account; the previous one withdraws its shares first. */
  activate(account: ActiveAccount): Promise<void> {
    return this.#serial(() => this.#activate(account));
  }

  /**
   * Set the account at run time: log in once with it (without presence), and only if that works
   * store it and switch to it. Refused when the account comes from the environment.
   */
  setAccount(settings: AccountSettings): Promise<{ jid: string; online: boolean }> {
    return this.#serial(async () => {
      if (this.#current?.account.source === 'environment')
        throw new BusError(
          'conflict',
          'the XMPP account is set by BITWEEN_XMPP_JID and BITWEEN_XMPP_PASSWORD; change it there',
        );
      await this.#checkLogin(settings);
      await this.opts.save(settings);
      this.opts.log.info({ jid: settings.jid.toLowerCase() }, 'XMPP account set and stored');
      await this.#activate({ settings, source: 'setup' });
      const online = await this.#waitOnline(ONLINE_WAIT_MS);
      return { jid: settings.jid.toLowerCase(), online };
    });
  }

  setExtraAddresses(addresses: string[]): void {
    this.#extraAddresses = [...addresses];
    this.#current?.gateway.setExtraAddresses(addresses);
  }

  status() {
    const current = this.#current;
    if (!current) return { jid: '', online: false, contacts: 0, configured: false, accountSource: null };
    return { ...current.gateway.status(), configured: true, accountSource: current.account.source };
  }

  /** Withdraw our shares and log out; no account change is accepted afterwards. */
  stop(): Promise<void> {
    return this.#serial(async () => {
      this.#stopped = true;
      await this.#stopCurrent();
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #activate(account: ActiveAccount): Promise<void> {
    if (this.#stopped) throw new BusError('failed', 'the gateway is shutting down');
    await this.#stopCurrent();
    const { bus, registry, log } = this.opts;
    const session = this.#session(account.settings, this.opts.resource, false);
    const gateway = new Gateway({
      ...this.opts.gateway,
      session,
      bulkSession: this.#bulkSession(account.settings),
      bus,
      registry,
      log,
    });
    gateway.setExtraAddresses(this.#extraAddresses);
    this.#current = { gateway, session, account };
    this.opts.onSession?.(session);
    await gateway.start();
  }

  async #stopCurrent(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    this.#current = null;
    this.opts.onSession?.(null);
    await current.gateway.stop();
  }

  async #checkLogin(settings: AccountSettings): Promise<void> {
    // Its own resource, so a check never replaces a running session of the same account.
    const resource = `${this.opts.resource}-check-${randomBytes(4).toString('hex')}`;
    try {
      await this.#session(settings, resource, true).loginOnce(this.opts.loginCheckMs ?? 15_000);
    } catch (err) {
      this.opts.log.warn({ jid: settings.jid, err: (err as Error).message }, 'XMPP login check failed');
      throw new BusError('failed', (err as Error).message);
    }
  }

  #bulkSession(settings: AccountSettings): XmppSession | undefined {
    if (!this.opts.bulkSession) return undefined;
    const resource = bulkResource(this.opts.resource, randomBytes(4).toString('hex'));
    if (resource === null) {
      this.opts.log.info(
        { resource: this.opts.resource },
        'no bulk session: no resource name sorts before ours (ejabberd would send our notifications through it)',
      );
      return undefined;
    }
    return this.#session(settings, resource, false, true);
  }

  #session(settings: AccountSettings, resource: string, probe: boolean, presenceless = false): XmppSession {
    const { local, domain } = splitJid(settings.jid);
    return new XmppSession({
      service: settings.service ?? domain,
      domain,
      username: local,
      password: settings.password,
      resource,
      disco: BITWEEN_DISCO,
      log: presenceless ? bulkLog(this.opts.log) : this.opts.log,
      probe,
      presenceless,
    });
  }

  #waitOnline(timeoutMs: number): Promise<boolean> {
    const session = this.#current?.session;
    if (!session) return Promise.resolve(false);
    if (session.online) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (online: boolean) => {
        clearTimeout(timer);
        session.off('online', onOnline);
        resolve(online);
      };
      const onOnline = () => done(true);
      const timer = setTimeout(() => done(session.online), timeoutMs);
      session.on('online', onOnline);
    });
  }
}
