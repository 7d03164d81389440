import { jid as parseJid } from '@xmpp/client';
import { revealHidden } from '@bitween/safe-text';
import type { Element } from '@xmpp/xml';
import { sharesEvent, type SharesEvent } from './pubsub.js';

/**
 * Which `<message/>`s carrying a shares event are a contact's list: only PEP notifications.
 *
 * XEP-0163 (PEP) section 4.3.3: the account's server sends notifications from the publisher's
 * *bare* JID (Prosody's mod_pep and ejabberd's mod_pubsub both do, as `type="headline"`;
 * XEP-0060 allows `normal` too). A client cannot send from a bare JID: its server stamps its
 * full JID on everything it sends (RFC 6120 section 8.1.2.1), so a bare `from` means the
 * contact's account (its server) sent it. Everything else carrying a pubsub event for the shares
 * node is someone speaking for a list they do not own, and is dropped:
 * - no `from`, or one that does not parse;
 * - a full JID (`mallory@example.org/laptop`: a client sent the event straight to us);
 * - a JID without a local part (`pubsub.example.org`, `example.org`: a pubsub service or a
 *   server, not an account's PEP node);
 * - someone we do not follow (not our own account, not a contact whose presence we receive);
 * - `type` chat, groupchat or error (a notification is headline or normal).
 * Events for other nodes (avatars, OMEMO…) are not about shares: `null`, ignored silently.
 * The node itself is checked by `sharesEvent` (`<items node='https://xmpp.kwoh.de/protocol/shares'>`).
 */
export type NotificationCheck = { ok: true; from: string; event: SharesEvent } | RejectedNotification;

/** A shares event that is not a PEP notification from a contact: who sent it and why it was dropped. */
export interface RejectedNotification {
  ok: false;
  /** The `from` as sent, hidden characters shown as <U+XXXX> (it goes to the log); null: none. */
  from: string | null;
  type: string | null;
  reason: string;
}

const NOTIFICATION_TYPES = new Set(['normal', 'headline']);

export function checkNotification(
  message: Element,
  isTrusted: (bareJid: string) => boolean,
): NotificationCheck | null {
  const event = sharesEvent(message);
  if (!event) return null;
  const rawFrom = message.attrs.from as unknown;
  const type = message.attrs.type as unknown;
  const from = typeof rawFrom === 'string' ? rawFrom : null;
  const typeText = typeof type === 'string' ? type : null;
  const reject = (reason: string): NotificationCheck => ({
    ok: false,
    from: from === null ? null : revealHidden(from.slice(0, 3100)),
    type: typeText === null ? null : revealHidden(typeText.slice(0, 100)),
    reason,
  });
  if (type !== undefined && (typeText === null || !NOTIFICATION_TYPES.has(typeText)))
    return reject(`a message of type ${JSON.stringify(typeText)} (PEP notifications are headline or normal)`);
  if (from === null || from === '') return reject('no sender');
  let address: ReturnType<typeof parseJid>;
  try {
    address = parseJid(from);
  } catch {
    return reject('an unreadable sender');
  }
  if (address.resource || from.includes('/'))
    return reject('sent from a full JID (by a client), not by the PEP service');
  if (!address.local) return reject('sent by a server or service, not from an account');
  const bare = address.bare().toString().toLowerCase();
  if (!isTrusted(bare)) return reject('not a contact');
  return { ok: true, from: bare, event };
}
