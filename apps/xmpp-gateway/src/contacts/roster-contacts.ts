import type { Contact } from '@bitween/messages';
import { cleanName } from '@bitween/safe-text';
import type { PresenceBook } from '../domain/presence-book.js';
import type { XmppSession } from '../xmpp/session.js';

/** The roster as the bus's `Contact`s: subscription, presence (online resources), name cleaned. */
export class RosterContacts {
  constructor(
    private readonly session: XmppSession,
    private readonly presence: PresenceBook,
  ) {}

  /** Every roster entry, by JID. */
  list(): Contact[] {
    return [...this.session.roster.keys()].sort().map((jid) => this.get(jid));
  }

  /** Whether `jid` is in the roster. */
  has(jid: string): boolean {
    return this.session.roster.has(jid);
  }

  get(jid: string): Contact {
    const item = this.session.roster.get(jid);
    const resources = this.presence.resources(jid);
    // (A roster name may come from the contact: shown cleaned, like every name we did not choose.)
    const name = item?.name ? cleanName(item.name) : '';
    return {
      jid,
      name: name === '' ? null : name,
      subscription: item?.subscription ?? 'none',
      online: resources.length > 0,
      resources,
      groups: item?.groups ?? [],
    };
  }

  /** Contacts we follow (we receive their presence and lists). */
  followed(): number {
    return [...this.session.roster.keys()].filter((jid) => this.session.isTrusted(jid)).length;
  }
}
