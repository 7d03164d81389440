import type { Contact } from '../types.js';
import { inlineId, inlineName } from './names.js';

/** A contact one of our shares can be sent to, as the "Send to a friend" form lists it. */
export interface SendTarget {
  jid: string;
  /** What the choice says: the roster name and the JID (hidden characters revealed), and online or not. */
  label: string;
  online: boolean;
}

/**
 * The contacts a share can be sent to: mutual contacts only (subscription `both`). The friend's
 * bitween turns a message into an offer only from a contact it follows, and we send only to
 * contacts we follow; a contact who has not approved us would drop it. Online ones first (an
 * offline one gets it from its server's offline storage when it logs in), then by what the
 * choice says.
 */
export function sendTargets(contacts: readonly Contact[]): SendTarget[] {
  return contacts
    .filter((c) => c.subscription === 'both')
    .map((c) => {
      const jid = inlineId(c.jid);
      const who = c.name ? `${inlineName(c.name)} (${jid})` : jid;
      return { jid: c.jid, label: `${who}${c.online ? '' : ' — offline'}`, online: c.online };
    })
    .sort((a, b) => Number(b.online) - Number(a.online) || a.label.localeCompare(b.label));
}

/** Why nothing can be sent, when `sendTargets` is empty. */
export function noTargetsText(contacts: readonly Contact[]): string {
  return contacts.length === 0
    ? 'You have no contacts yet: add friends with any XMPP client.'
    : 'None of your contacts can receive it yet: only friends who approved you and whom you approved (“friends both ways” in Contacts) can.';
}

/**
 * The api's refusal (problem+json `status` and `detail`) of a send, as the form shows it: the
 * detail as the api wrote it, after a sentence saying what it means for the user.
 */
export function sendErrorText(status: number, detail: string): string {
  const why =
    status === 404
      ? 'Not sent: the daemon does not know this contact or this share'
      : status === 409
        ? 'Not sent: this share is hidden from this contact by its visibility'
        : status === 503 || status === 504
          ? 'Not sent: your XMPP connection is down; try again once it is back'
          : 'Not sent';
  return `${why} (${detail}).`;
}
