import type { RosterSubscription } from './session.js';

/**
 * Whether a roster push means a contact has just approved our subscription request (we were not
 * subscribed to their presence and now are: none/from → to/both). Then we send them our presence
 * (with caps) once more, directed. Why: ejabberd (23.01) records a contact's caps, which decide
 * whether our PEP items (our share list) are pushed to them, only from a presence that arrives
 * while that contact is already subscribed to us. When the contact approved our request first,
 * our earlier presence reached them before they were; without this, their server never pushed
 * them our list until our next reconnect (seen in the federation lab with both friends on one
 * ejabberd: one direction's shares never appeared). Harmless elsewhere: one more presence.
 */
export function contactApprovedUs(
  before: RosterSubscription | undefined,
  after: RosterSubscription | undefined,
): boolean {
  const subscribed = (s: RosterSubscription | undefined) => s === 'to' || s === 'both';
  return after !== undefined && subscribed(after) && !subscribed(before);
}
