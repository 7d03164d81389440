import { z } from 'zod';
import { command, event } from '../contract.js';
import { Empty, Endpoint, InfoHash, Share } from '../schemas.js';
import { subjects } from '../subjects.js';

/** One running instance (XMPP resource) of a contact, as its last notification described it. */
export const ContactResource = z.object({
  resource: z.string(),
  endpoints: z.array(Endpoint),
  shares: z.array(Share),
});
export type ContactResource = z.infer<typeof ContactResource>;

export const ContactShares = z.object({
  /** Bare JID. */
  jid: z.string().min(1),
  resources: z.array(ContactResource),
  /** When the last notification from this JID arrived (ms since epoch). */
  receivedAt: z.number().int(),
});
export type ContactShares = z.infer<typeof ContactShares>;

/** Every contact's last received share list (including the own account's other instances). */
export const shares = command({
  name: 'xmpp.shares',
  subject: subjects.xmpp.shares,
  request: Empty,
  response: z.object({ contacts: z.array(ContactShares) }),
});

export const status = command({
  name: 'xmpp.status',
  subject: subjects.xmpp.status,
  request: Empty,
  response: z.object({
    jid: z.string(),
    online: z.boolean(),
    contacts: z.number().int().nonnegative(),
  }),
});

/**
 * The endpoints friends advertise for hashes our engines hold; the gateway publishes it whenever
 * a list arrives or an engine gains a torrent. Each engine adds the peers for its own torrents.
 */
export const PeersPayload = z.object({
  peers: z.array(z.object({ hash: InfoHash, endpoints: z.array(Endpoint) })),
});
export type PeersPayload = z.infer<typeof PeersPayload>;

export const peers = event({
  name: 'xmpp.peers',
  subject: subjects.events.peers,
  payload: PeersPayload,
});

/**
 * A contact's share list arrived and was accepted (it replaces the previous one): the whole
 * list as the gateway now holds it. (A list too large for one NATS message is not published;
 * `xmpp.shares` always has it.)
 */
export const contactShares = event({
  name: 'xmpp.contact-shares',
  subject: subjects.events.contactShares,
  payload: ContactShares,
});
