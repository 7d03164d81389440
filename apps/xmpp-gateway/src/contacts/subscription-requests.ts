import { BusError } from '@bitween/messages';
import type { Logger } from '@bitween/bus';
import { PendingSubscriptions } from '../domain/pending-subscriptions.js';
import type { SubscriptionType, XmppSession } from '../xmpp/session.js';

export interface SubscriptionRequestsOptions {
  session: XmppSession;
  log: Logger;
  /** Approve every subscription request at once (off by default: the user decides). */
  autoApprove?: boolean | undefined;
  /** A request is now held for the user. */
  onRequest(jid: string, receivedAt: number): void;
}

/**
 * Subscription requests: held for the user (or approved at once with auto-approve), approved
 * (subscribing back, so the friendship goes both ways) or denied on the user's command.
 */
export class SubscriptionRequests {
  readonly pending = new PendingSubscriptions();

  constructor(private readonly opts: SubscriptionRequestsOptions) {}

  async approve(jid: string): Promise<{ jid: string; approved: true }> {
    const bare = jid.toLowerCase();
    this.#requireOnline();
    if (!this.pending.has(bare))
      throw new BusError('not_found', `no pending subscription request from ${bare}`);
    await this.#approve(bare);
    return { jid: bare, approved: true };
  }

  async deny(jid: string): Promise<{ jid: string; approved: false }> {
    const bare = jid.toLowerCase();
    this.#requireOnline();
    if (!this.pending.has(bare))
      throw new BusError('not_found', `no pending subscription request from ${bare}`);
    await this.opts.session.sendPresence(bare, 'unsubscribed');
    this.pending.delete(bare);
    this.opts.log.info({ jid: bare }, 'denied a subscription request');
    return { jid: bare, approved: false };
  }

  /** A `subscribe` or `unsubscribe` presence from `bare`. */
  async onSubscription(bare: string, type: SubscriptionType): Promise<void> {
    const { session, log } = this.opts;
    if (bare === session.bareJid) return;
    try {
      if (type === 'subscribe') {
        const subscription = session.roster.get(bare)?.subscription ?? 'none';
        if (subscription === 'from' || subscription === 'both') {
          await session.sendPresence(bare, 'subscribed'); // already approved earlier
        } else if (this.opts.autoApprove) {
          log.info({ jid: bare }, 'subscription request approved automatically (auto-approve is on)');
          await this.#approve(bare);
        } else {
          const receivedAt = Date.now();
          if (this.pending.add(bare, receivedAt)) {
            log.info({ jid: bare }, 'subscription request held for the user to approve or deny');
            this.opts.onRequest(bare, receivedAt);
          }
        }
      } else if (type === 'unsubscribe') {
        if (this.pending.delete(bare))
          log.info({ jid: bare }, 'a pending subscription request was withdrawn');
      }
    } catch (err) {
      log.warn({ err, jid: bare, type }, 'could not handle a subscription stanza');
    }
  }

  /** `jid` left the roster: its pending request (if any) is gone. */
  onRosterLeft(jid: string): void {
    if (this.pending.delete(jid)) this.opts.log.info({ jid }, 'a pending request’s contact left the roster');
  }

  #requireOnline(): void {
    if (!this.opts.session.online)
      throw new BusError('failed', 'not connected to the XMPP server; try again later');
  }

  async #approve(bare: string): Promise<void> {
    const { session, log } = this.opts;
    await session.sendPresence(bare, 'subscribed');
    const subscription = session.roster.get(bare)?.subscription ?? 'none';
    // Subscribe back, so the contact becomes a friend both ways (we receive their list too).
    if (subscription !== 'to' && subscription !== 'both') await session.sendPresence(bare, 'subscribe');
    this.pending.delete(bare);
    log.info({ jid: bare }, 'approved a subscription request');
  }
}
