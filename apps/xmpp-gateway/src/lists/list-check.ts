import type { Logger } from '@bitween/bus';

export interface ListCheckOptions {
  /** The mean period (ms); 0 = never. Each round comes after 75-125 % of it. */
  intervalMs: number;
  /** The contacts to check now (online, followed, running bitween). */
  contacts(): string[];
  /** Queue one contact's check (FriendsLists.checkContact: bounded, paced). */
  check(jid: string): void;
  log: Logger;
}

/**
 * The backstop for lost PEP notifications: now and then, every online bitween contact's list
 * is checked against the server's (the item it was last read from, fetched again; the list is
 * read only if that changed), and so are its group lists (by their signal item). A server may not push a change at all — ejabberd 23.01 sends a
 * contact none of an account's PEP changes while one of that account's sessions has sent no
 * presence — and the list would stay stale until the contact's next change or login.
 * Runs while we are online; jittered so that instances and rounds do not line up.
 */
export class ListCheck {
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: ListCheckOptions) {}

  /** We are online: start the rounds (the first after one period: login already read every list). */
  start(): void {
    if (this.opts.intervalMs === 0 || this.#timer) return;
    this.#schedule();
  }

  /** We went offline or stop: no more rounds until `start`. */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    const { intervalMs } = this.opts;
    this.#timer = setTimeout(() => this.#round(), intervalMs * (0.75 + Math.random() * 0.5));
    this.#timer.unref();
  }

  #round(): void {
    const jids = this.opts.contacts();
    this.opts.log.debug({ contacts: jids.length }, 'checking contacts’ lists against the server');
    for (const jid of jids) this.opts.check(jid);
    this.#schedule();
  }
}
