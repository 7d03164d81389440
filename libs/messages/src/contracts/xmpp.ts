import { z } from 'zod';
import { command, event } from '../contract.js';
import { BareJid, Empty, Endpoint, InfoHash, IpAddress, Sha256, Share } from '../schemas.js';
import { subjects } from '../subjects.js';

/** One running instance (XMPP resource) of a contact, as its last notification described it. */
export const ContactResource = z.object({
  resource: z.string(),
  /** The resource is online (presence); an offline resource keeps its list, but its endpoints are not dialled. */
  online: z.boolean(),
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

/** Where the next page of `xmpp.shares` starts: opaque, issued by the gateway. */
export const SharesCursor = z.string().min(1).max(32_768);

/**
 * Every contact's last received share list (including the own account's other instances), in
 * pages that each fit one NATS message. An empty request gets the first page; `next` asks for
 * the following one (null: that was the last). A page may end inside a contact's list and even
 * inside one resource's shares: the next page then starts with the same jid (and resource)
 * holding the rest, so consumers merge pieces by jid and resource (`fetchAllShares` does).
 * A cursor into a contact whose list changed meanwhile is answered `conflict` (start again).
 * Gateways before paging answer `{}` with every list and no `next`.
 */
export const shares = command({
  name: 'xmpp.shares',
  subject: subjects.xmpp.shares,
  request: z.object({ cursor: SharesCursor.nullable().optional() }).strict(),
  response: z.object({
    contacts: z.array(ContactShares),
    /** The cursor of the next page; null (or absent, from older gateways) after the last page. */
    next: SharesCursor.nullable().optional(),
  }),
});

export const status = command({
  name: 'xmpp.status',
  subject: subjects.xmpp.status,
  request: Empty,
  response: z.object({
    /** Bare JID of the account; '' while no account is configured. */
    jid: z.string(),
    online: z.boolean(),
    /**
     * Whether an XMPP account is configured (absent from older gateways: configured). Unconfigured,
     * the gateway waits for `xmpp.account.set` (first-run onboarding from the web UI).
     */
    configured: z.boolean().optional(),
    /** Where the account comes from: environment variables, or set at run time and stored in the data dir. */
    accountSource: z.enum(['environment', 'setup']).nullable().optional(),
    contacts: z.number().int().nonnegative(),
    /** Entries (shares, endpoints, resources) or whole lists dropped from contacts' lists as invalid since start. */
    droppedEntries: z.number().int().nonnegative().optional(),
    /**
     * Rendezvous and ticket IQs (issue 19) refused since start: from strangers, over the rate
     * limit, for a hash we do not share, malformed. Absent from older gateways.
     */
    droppedSignalling: z.number().int().nonnegative().optional(),
  }),
});

/**
 * An endpoint a contact offers a hash at, with what the engine needs to judge it before dialling
 * (the engine's dial policy decides; see libs/net-policy). Both additions are optional: from an
 * older gateway an endpoint has neither, and a LAN address is then never dialled.
 */
export const PeerEndpoint = Endpoint.extend({
  /** The contact (bare JID) whose list names the endpoint (the first one, when several do). */
  jid: z.string().min(1).max(3071).optional(),
  /**
   * For a LAN address: the public addresses announced in the same list entry (the contact's side
   * of the evidence that it sits behind our router). Absent: none announced.
   */
  publicAddresses: z.array(IpAddress).max(32).optional(),
});
export type PeerEndpoint = z.infer<typeof PeerEndpoint>;

/**
 * The endpoints friends advertise for hashes our engines hold; the gateway publishes it whenever
 * a list arrives or an engine gains a torrent. Each engine adds the peers for its own torrents.
 */
export const PeersPayload = z.object({
  peers: z.array(z.object({ hash: InfoHash, endpoints: z.array(PeerEndpoint) })),
  /**
   * Our own public addresses as the gateway knows them (BITWEEN_PUBLIC_ADDRESSES, STUN, engines'
   * public endpoints): our side of the evidence that a contact shares our LAN. Absent (older
   * gateways): none known.
   */
  ownPublic: z.array(IpAddress).max(64).optional(),
});
export type PeersPayload = z.infer<typeof PeersPayload>;

export const peers = event({
  name: 'xmpp.peers',
  subject: subjects.events.peers,
  payload: PeersPayload,
});

/**
 * A contact's share list arrived and was accepted (it replaces the previous one): the whole
 * list as the gateway now holds it. A list too large for one NATS message is not published
 * here: the gateway publishes `xmpp.contact` for that JID instead, so readers fetch it again
 * with `xmpp.shares`.
 */
export const contactShares = event({
  name: 'xmpp.contact-shares',
  subject: subjects.events.contactShares,
  payload: ContactShares,
});

/**
 * The friends' address allowlist, KV `buckets.friendAddresses` key `FRIEND_ADDRESSES_KEY`: every
 * IP address each contact's list announces (all its resources, online or not), as the gateway
 * holds the lists now. The gateway rewrites it whenever a list arrives or a contact is dropped;
 * engines read it at start and watch it (admission: who may connect by address alone).
 */
export const FriendAddresses = z.object({
  friends: z.array(z.object({ jid: BareJid, addresses: z.array(IpAddress).max(256) })).max(10_000),
  /** ms since epoch: when the gateway wrote this version. */
  updatedAt: z.number().int(),
});
export type FriendAddresses = z.infer<typeof FriendAddresses>;
export const FRIEND_ADDRESSES_KEY = 'current';

/** A roster entry with its presence. */
export const Contact = z.object({
  jid: BareJid,
  /** Roster name, if any. */
  name: z.string().nullable(),
  subscription: z.enum(['none', 'to', 'from', 'both']),
  /** At least one resource is available. */
  online: z.boolean(),
  /** The resources currently available. */
  resources: z.array(z.string()),
  /** The roster groups the user put this contact in (absent from older gateways: none known). */
  groups: z.array(z.string()).optional(),
});
export type Contact = z.infer<typeof Contact>;

/**
 * A roster group name, as the user's own roster holds it (XMPP allows any text; control
 * characters are refused here, and the length capped).
 */
export const GroupName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

/**
 * Who sees a share: KV bucket `buckets.shareVisibility`, key = the info-hash, written by the api
 * (`PUT /v1/torrents/{hash}/visibility`), watched by the gateway. No key: every contact sees the
 * share (the original node's `current`). A key: only contacts in at least one of these roster
 * groups, enforced by the XMPP server (a PEP node per group set, access model `whitelist`).
 */
export const ShareVisibility = z.object({
  groups: z.array(GroupName).min(1).max(32),
  /** ms since epoch: when it was set. */
  updatedAt: z.number().int(),
});
export type ShareVisibility = z.infer<typeof ShareVisibility>;

export const contacts = command({
  name: 'xmpp.contacts',
  subject: subjects.xmpp.contacts,
  request: Empty,
  response: z.object({ contacts: z.array(Contact) }),
});

/** A subscription request held for the user to approve or deny (never auto-accepted by default). */
export const PendingSubscription = z.object({
  jid: BareJid,
  /** ms since epoch. */
  receivedAt: z.number().int(),
});
export type PendingSubscription = z.infer<typeof PendingSubscription>;

export const subscriptions = command({
  name: 'xmpp.subscriptions',
  subject: subjects.xmpp.subscriptions,
  request: Empty,
  response: z.object({ pending: z.array(PendingSubscription) }),
});

/** Approve a pending request (and subscribe back, so the contact becomes a friend both ways). */
export const approve = command({
  name: 'xmpp.subscriptions.approve',
  subject: subjects.xmpp.approve,
  request: z.object({ jid: BareJid }),
  response: z.object({ jid: BareJid, approved: z.literal(true) }),
});

export const deny = command({
  name: 'xmpp.subscriptions.deny',
  subject: subjects.xmpp.deny,
  request: z.object({ jid: BareJid }),
  response: z.object({ jid: BareJid, approved: z.literal(false) }),
});

/** A contact's roster entry or presence changed. */
export const contactChanged = event({
  name: 'xmpp.contact',
  subject: subjects.events.contact,
  payload: Contact,
});

export const subscriptionRequest = event({
  name: 'xmpp.subscription-request',
  subject: subjects.events.subscriptionRequest,
  payload: PendingSubscription,
});

/** The XMPP account to log into, as set at run time (onboarding); the password never leaves the gateway again. */
export const AccountSettings = z.object({
  jid: BareJid,
  password: z.string().min(1).max(1024),
  /** `xmpp://host:port` or `xmpps://host:port`; unset: the JID's domain (DNS SRV). */
  service: z
    .string()
    .regex(/^xmpps?:\/\/[^/\s]+$/, 'must look like xmpp://host:port')
    .optional(),
});
export type AccountSettings = z.infer<typeof AccountSettings>;

/**
 * Set (or replace) the account the gateway logs into. The gateway first logs in with it; only
 * if that works it stores the account in its data dir (mode 0600) and switches to it.
 * Errors: `conflict` when the account comes from the environment (BITWEEN_XMPP_JID),
 * `failed` when the login fails (wrong password, unreachable server; the message says which).
 */
export const setAccount = command({
  name: 'xmpp.account.set',
  subject: subjects.xmpp.setAccount,
  request: AccountSettings,
  response: z.object({ jid: BareJid, online: z.boolean() }),
});

// --- friends behind routers (issue 19): who a peer is, ICE servers, rendezvous ---------------

/** A secret the gateway issues to one contact (base64url of 32 random-looking bytes). */
export const Ticket = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 43 base64url characters');

/** The most contacts the ticket table holds (a roster larger than this is refused with a log). */
export const MAX_TICKET_CONTACTS = 2_000;

/**
 * The admission table the engines use to tell friends from strangers, whatever address a
 * connection comes from (docs/friends-behind-routers.md):
 * - `issued`: the ticket we gave each contact (over XMPP, to that contact only); a peer proves it
 *   is that contact by answering our nonce with HMAC-SHA256(ticket, nonce) in the BitTorrent
 *   extension handshake (BEP 10);
 * - `received`: the ticket each contact gave us, to answer *their* nonce the same way;
 * - `legacy`: contacts whose online resources run the original Bitween (they never answer the
 *   ticket exchange): their connections are admitted by the addresses they announce, as before.
 * Secrets: a command reply only (never an event: the api's event stream records events).
 */
export const TicketTable = z.object({
  /** Our own bare JID ('' while no account is online). */
  self: z.string().max(3071),
  /**
   * `groups`: the contact's roster groups (names a `ShareVisibility` can hold), so engines refuse
   * a share restricted to other groups (absent, as from an older gateway: in no group).
   */
  issued: z
    .array(z.object({ jid: BareJid, ticket: Ticket, groups: z.array(GroupName).max(64).optional() }))
    .max(MAX_TICKET_CONTACTS),
  received: z.array(z.object({ jid: BareJid, ticket: Ticket })).max(MAX_TICKET_CONTACTS),
  legacy: z.array(BareJid).max(MAX_TICKET_CONTACTS),
  /** Increases with every change (the `xmpp.tickets-changed` event names it). */
  revision: z.number().int().nonnegative(),
});
export type TicketTable = z.infer<typeof TicketTable>;

export const tickets = command({
  name: 'xmpp.tickets',
  subject: subjects.xmpp.tickets,
  request: Empty,
  response: TicketTable,
});

/** The ticket table changed (no secrets here): engines fetch it again with `xmpp.tickets`. */
export const ticketsChanged = event({
  name: 'xmpp.tickets-changed',
  subject: subjects.events.ticketsChanged,
  payload: z.object({ revision: z.number().int().nonnegative() }),
});

/** One STUN or TURN server, in the shape of WebRTC's RTCIceServer. */
export const IceServer = z.object({
  /** `stun:host:port`, `turn:host:port?transport=udp|tcp`, `turns:host:port`. */
  urls: z
    .array(z.string().regex(/^(stun|stuns|turn|turns):[^\s]{1,250}$/))
    .min(1)
    .max(8),
  username: z.string().max(512).optional(),
  credential: z.string().max(512).optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/**
 * The STUN/TURN servers for WebRTC and public-address discovery: from our own XMPP server
 * (XEP-0215 External Service Discovery), else from configuration. TURN credentials may be
 * short-lived: ask again before `expiresAt`.
 */
export const iceServers = command({
  name: 'xmpp.ice-servers',
  subject: subjects.xmpp.iceServers,
  request: Empty,
  response: z.object({
    iceServers: z.array(IceServer).max(16),
    /** Where they came from: our XMPP server (XEP-0215), configuration, or none known. */
    source: z.enum(['xep-0215', 'config', 'none']),
    /** Epoch ms when a credential expires (ask again before); null: they do not expire. */
    expiresAt: z.number().int().nonnegative().nullable(),
  }),
});

/** A WebRTC session description (SDP) without trickle: every ICE candidate is inside. */
export const Sdp = z.string().min(1).max(16_384);

/**
 * An engine asks to reach a contact for a hash (rendezvous over XMPP): the gateway sends the
 * contact's online bitween resources our engine's endpoints (so the contact dials back when only
 * we are reachable: connection reversal) and, when `sdp` is given, a WebRTC offer, and returns the
 * contact's answer. Refused (`not-found`) when the contact has no online bitween resource;
 * `unavailable` when it does not answer in time or refuses (its reason in the message).
 */
export const connect = command({
  name: 'xmpp.connect',
  subject: subjects.xmpp.connect,
  request: z
    .object({
      hash: InfoHash,
      /** The contact (bare JID) whose list offers the hash. */
      jid: BareJid,
      /** The asking engine: its endpoints go to the contact. */
      engineId: z.string().min(1).max(64),
      /** A WebRTC offer; absent: only ask the contact to dial our endpoints. */
      sdp: Sdp.optional(),
    })
    .strict(),
  response: z.object({
    /** The contact's WebRTC answer (absent when no offer was sent). */
    sdp: Sdp.optional(),
    /** The full JID that answered. */
    from: z.string().max(3071),
  }),
});

// --- a share sent to a friend (issue 20 item 4): XEP-0447 messages, offers -------------------

/** The most offers the gateway keeps (the oldest go first); one friend holds at most MAX_OFFERS_PER_FRIEND. */
export const MAX_OFFERS = 100;
export const MAX_OFFERS_PER_FRIEND = 20;

/** An offer's id: the first 16 hex digits of SHA-256(info-hash, sender) — one offer per share and friend. */
export const OfferId = z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex characters');

/**
 * A share a friend sent us (an XEP-0447 `<file-sharing/>` message from a contact we follow), held
 * for the user to accept (download it) or dismiss. Names are cleaned (`@bitween/safe-text`).
 */
export const Offer = z.object({
  id: OfferId,
  /** The sender (bare JID): a contact whose presence we receive. */
  from: BareJid,
  hash: InfoHash,
  name: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  mediaType: z.string().max(255).optional(),
  /** The file's SHA-256 (base64) as the sender's `<file/>` states it (not checked by bitween). */
  sha256: Sha256.optional(),
  /** The magnet's `x.pe` addresses; engines dial only those the sender's own list announces. */
  endpoints: z.array(Endpoint).max(8),
  /** ms since epoch (a repeated offer refreshes it). */
  receivedAt: z.number().int(),
  /** When the user accepted it (the download was started); null: not yet. */
  acceptedAt: z.number().int().nullable(),
});
export type Offer = z.infer<typeof Offer>;

/**
 * Send one of our shares to a contact: an XMPP chat message with an XEP-0447 `<file-sharing/>`
 * (XEP-0446 metadata, a magnet as source) and a plain-text body (a sentence and the magnet).
 * `not_found` when no engine of ours holds the hash or the JID is not in the roster; `conflict`
 * when the share is restricted to roster groups (per-group visibility) the contact is in none of.
 */
export const sendShare = command({
  name: 'xmpp.send-share',
  subject: subjects.xmpp.sendShare,
  request: z.object({ jid: BareJid, hash: InfoHash }).strict(),
  response: z.object({ jid: BareJid, hash: InfoHash, magnet: z.string().max(8192) }),
});

/** The offers held (newest first). */
export const offers = command({
  name: 'xmpp.offers',
  subject: subjects.xmpp.offers,
  request: Empty,
  response: z.object({ offers: z.array(Offer).max(MAX_OFFERS) }),
});

/** The user accepted an offer (the api started its download): recorded, and kept so engines dial its sender. `not_found` if unknown. */
export const offerAccepted = command({
  name: 'xmpp.offers.accepted',
  subject: subjects.xmpp.offerAccepted,
  request: z.object({ id: OfferId }).strict(),
  response: z.object({ offer: Offer }),
});

/** Forget an offer. `not_found` if unknown. */
export const dismissOffer = command({
  name: 'xmpp.offers.dismiss',
  subject: subjects.xmpp.dismissOffer,
  request: z.object({ id: OfferId }).strict(),
  response: z.object({ id: OfferId, dismissed: z.literal(true) }),
});

/** A friend sent us a share (a new offer; a repeated one is not announced again). */
export const offerReceived = event({
  name: 'offer.received',
  subject: subjects.events.offerReceived,
  payload: Offer,
});
