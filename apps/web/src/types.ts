import type { components } from './openapi.gen.js';

/**
 * The REST resources the UI uses, by the names the api's OpenAPI document gives them: aliases of
 * the types generated from the committed document (openapi.gen.ts, `npm run openapi` at the
 * repository root), so they cannot drift from what the api answers. The UI talks to the public
 * API only, like any third-party frontend; it imports nothing from the daemon's code.
 */
type Schemas = components['schemas'];

export type TorrentState = Schemas['TorrentState'];
export type TorrentFile = Schemas['TorrentFile'];
/** A file's download priority: high files' pieces are fetched first, low ones last. */
export type FilePriority = Schemas['FilePriority'];
export type Torrent = Schemas['Torrent'];
/** One connected peer of a torrent (`GET /v1/torrents/{hash}/peers`). */
export type Peer = Schemas['Peer'];
export type SeedLimits = Schemas['SeedLimits'];
export type ShareSource = Schemas['ShareSource'];
/** One friends' share: one entry per info-hash with every friend (and instance) offering it. */
export type FriendShare = Schemas['FriendShare'];
/** The files inside a friend's share (`GET /v1/friends/{jid}/shares/{hash}/files`). */
export type ShareFiles = Schemas['ShareFiles'];
export type Contact = Schemas['Contact'];
/** Which roster groups see one of our shares (`GET/PUT /v1/torrents/{hash}/visibility`). */
export type ShareVisibility = Schemas['ShareVisibility'];
/** A group of the XMPP roster (`GET /v1/groups`). */
export type RosterGroup = Schemas['RosterGroup'];
export type PendingSubscription = Schemas['PendingSubscription'];
/** A share a friend sent us (`GET /v1/offers`; the data of an `offer.received` event). */
export type Offer = Schemas['Offer'];
/** `GET /v1/account`. */
export type Account = Schemas['Account'];
export type EngineSettings = Schemas['EngineSettings'];
/** Can friends reach an engine ("Can my friends reach me?"). */
export type Reachability = Schemas['Reachability'];
/** The engine's port mapping on the home router. */
export type PortMapping = Schemas['PortMapping'];
export type ConnectionCounters = Schemas['ConnectionCounters'];
export type EngineSummary = Schemas['EngineSummary'];
export type Status = Schemas['Status'];
export type FolderEntry = Schemas['FolderEntry'];
/** `GET /v1/browse`. */
export type Folder = Schemas['Folder'];
/** One message of `/v1/events` (its `data` depends on `type`: see below). */
export type BitweenEvent = Schemas['Event'];
/** Where the event stream stands (`GET /v1/events`' long poll answer without its events). */
export type StreamPosition = Omit<Schemas['EventsPage'], 'events'>;

/**
 * Written by hand: an event's `data` is not in the OpenAPI document (it is `unknown` there, one
 * shape per event type). `torrent.progress` events carry this part of a torrent.
 */
export type TorrentProgress = Pick<
  Torrent,
  | 'hash'
  | 'engineId'
  | 'name'
  | 'size'
  | 'state'
  | 'progress'
  | 'done'
  | 'downloaded'
  | 'uploaded'
  | 'downloadSpeed'
  | 'uploadSpeed'
  | 'peers'
  | 'eta'
>;
