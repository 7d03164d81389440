import type { z } from 'zod';
import { EngineId, InfoHash } from './schemas.js';

/**
 * Subject layout: namespace first, identifiers last, versioned.
 *   commands  bitween.v1.<service>.<verb>                      (any instance: queue group)
 *             bitween.v1.<service>.instance.<id>.<verb>        (one instance)
 *   events    bitween.v1.evt.<domain>[.<id>].<event>
 * Identifiers that go into a subject token are validated first (no dots, wildcards or spaces).
 */
export const ROOT = 'bitween.v1';

function token(value: string, schema: z.ZodType<string>, what: string): string {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what} ${JSON.stringify(value)} cannot be a subject token`);
  return parsed.data;
}

export const subjects = {
  engine: {
    addPath: `${ROOT}.engine.add-path`,
    addHash: `${ROOT}.engine.add-hash`,
    addTorrentFile: `${ROOT}.engine.add-torrent-file`,
    browse: `${ROOT}.engine.browse`,
    instance: (engineId: string, verb: string) =>
      `${ROOT}.engine.instance.${token(engineId, EngineId, 'engine id')}.${verb}`,
  },
  xmpp: {
    shares: `${ROOT}.xmpp.shares`,
    status: `${ROOT}.xmpp.status`,
    contacts: `${ROOT}.xmpp.contacts`,
    subscriptions: `${ROOT}.xmpp.subscriptions`,
    approve: `${ROOT}.xmpp.subscriptions.approve`,
    deny: `${ROOT}.xmpp.subscriptions.deny`,
    setAccount: `${ROOT}.xmpp.account.set`,
    tickets: `${ROOT}.xmpp.tickets`,
    iceServers: `${ROOT}.xmpp.ice-servers`,
    connect: `${ROOT}.xmpp.connect`,
    sendShare: `${ROOT}.xmpp.send-share`,
    offers: `${ROOT}.xmpp.offers`,
    offerAccepted: `${ROOT}.xmpp.offers.accepted`,
    dismissOffer: `${ROOT}.xmpp.offers.dismiss`,
  },
  events: {
    torrentProgress: (hash: string) => `${ROOT}.evt.torrent.${token(hash, InfoHash, 'info-hash')}.progress`,
    torrentProgressAll: `${ROOT}.evt.torrent.*.progress`,
    torrent: (hash: string, event: string) =>
      `${ROOT}.evt.torrent.${token(hash, InfoHash, 'info-hash')}.${event}`,
    torrentAll: (event: string) => `${ROOT}.evt.torrent.*.${event}`,
    /** Everything bitween publishes as an event (the api's event stream captures this). */
    all: `${ROOT}.evt.>`,
    peers: `${ROOT}.evt.xmpp.peers`,
    contactShares: `${ROOT}.evt.xmpp.contact-shares`,
    contact: `${ROOT}.evt.xmpp.contact`,
    subscriptionRequest: `${ROOT}.evt.xmpp.subscription-request`,
    ticketsChanged: `${ROOT}.evt.xmpp.tickets-changed`,
    offerReceived: `${ROOT}.evt.offer.received`,
  },
} as const;

/** NATS micro service names (discovery and health via `$SRV.PING.<name>`). */
export const serviceNames = {
  engine: 'bitween-torrent-engine',
  gateway: 'bitween-xmpp-gateway',
} as const;

/** Queue groups for commands that any one instance may take. */
export const queues = {
  engine: 'bitween-torrent-engine',
} as const;

/** JetStream KV buckets. */
export const buckets = {
  /** key: engine id → EngineEntry; refreshed by a heartbeat, deleted on clean shutdown. */
  engines: 'bitween_engines',
  /** key `<engineId>.<info-hash>` → EngineTorrent: the torrents each engine holds. */
  engineTorrents: 'bitween_engine_torrents',
  /** key `engine` → EngineSettings. */
  settings: 'bitween_settings',
  /** key: info-hash → TorrentClaim (which engine runs it); see libs/bus placement.ts. */
  torrentOwners: 'bitween_torrent_owners',
  /** Transmission's numeric torrent ids (the api's `/transmission/rpc`): `seq`, `h.<hash>`, `i.<id>`. */
  transmissionIds: 'bitween_transmission_ids',
  /** key `current` → FriendAddresses (xmpp contracts): the gateway writes it, engines watch it. */
  friendAddresses: 'bitween_friend_addresses',
  /** key: info-hash → ShareVisibility (xmpp contracts): the api writes it, the gateway watches it. */
  shareVisibility: 'bitween_share_visibility',
} as const;

/** JetStream streams other than KV buckets. */
export const streams = {
  /** Records every event (`subjects.events.all`); the api reads it for `GET /v1/events`. */
  events: 'BITWEEN_EVENTS',
} as const;

// Who may publish and subscribe to each of these (NATS users and permissions): libs/nats-auth.
