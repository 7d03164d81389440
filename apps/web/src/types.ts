/**
 * The REST resources the UI uses, as `/openapi.json` describes them (the UI talks to the public
 * API only, like any third-party frontend; it imports nothing from the daemon's code).
 */

export type TorrentState =
  'metadata' | 'checking' | 'queued' | 'paused' | 'downloading' | 'seeding' | 'error';

export interface TorrentFile {
  path: string;
  size: number;
  wanted: boolean;
  downloaded: number;
}

export interface Torrent {
  hash: string;
  engineId: string;
  name: string | null;
  size: number | null;
  savePath: string;
  state: TorrentState;
  progress: number;
  done: boolean;
  downloaded: number;
  uploaded: number;
  downloadSpeed: number;
  uploadSpeed: number;
  peers: number;
  files: TorrentFile[];
  error: string | null;
  addedAt: number;
  eta: number | null;
  downloadLimit: number | null;
  uploadLimit: number | null;
}

/** `torrent.progress` events carry this part of a torrent. */
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

export interface ShareSource {
  jid: string;
  resource: string;
  online: boolean;
}

/** One friends' share: one entry per info-hash with every friend (and instance) offering it. */
export interface FriendShare {
  hash: string;
  name: string;
  size: number;
  sources: ShareSource[];
}

export interface Contact {
  jid: string;
  name: string | null;
  subscription: 'none' | 'to' | 'from' | 'both';
  online: boolean;
  resources: string[];
  shares: number;
}

export interface PendingSubscription {
  jid: string;
  receivedAt: number;
}

/** `GET /v1/account`. */
export interface Account {
  configured: boolean;
  source: 'environment' | 'setup' | null;
  jid: string | null;
  online: boolean;
}

export interface EngineSettings {
  downloadLimit: number | null;
  uploadLimit: number | null;
  maxActiveDownloads: number | null;
}

/** Can friends reach an engine ("Can my friends reach me?"). */
export interface Reachability {
  verdict: 'direct' | 'mapped' | 'hole-punching' | 'relay' | 'unreachable' | 'unknown';
  publicAddresses: string[];
  ipv6: string[];
  stun: boolean;
  turn: boolean;
  /** Epoch ms of the last change. */
  since: number;
}

/** The engine's port mapping on the home router. */
export interface PortMapping {
  state: 'off' | 'searching' | 'mapped' | 'unavailable';
  protocol: 'upnp-igd' | 'nat-pmp' | null;
  external: { address: string; port: number } | null;
  internalPort: number | null;
  expiresAt: number | null;
  lastError: string | null;
  since: number;
}

export interface ConnectionCounters {
  tcpDirect: number;
  tcpMapped: number;
  webrtcDirect: number;
  webrtcRelayed: number;
}

export interface EngineSummary {
  engineId: string;
  version: string;
  endpoints: { address: string; port: number }[];
  torrents: number;
  /** null from engines older than the reachability report (also the three below). */
  reachability: Reachability | null;
  portMapping: PortMapping | null;
  connections: ConnectionCounters | null;
  admission: { admitted: number; refused: Record<string, number> } | null;
}

export interface Status {
  version: string;
  node: string;
  nats: 'connected' | 'closed';
  xmpp: { online: boolean; jid: string; contacts: number } | { error: string };
  engines: EngineSummary[] | { error: string };
  torrents: { total: number };
}

export interface FolderEntry {
  name: string;
  type: 'dir' | 'file';
  size: number | null;
}

/** `GET /v1/browse`. */
export interface Folder {
  path: string | null;
  parent: string | null;
  roots: string[];
  entries: FolderEntry[];
  truncated: boolean;
}

/** One message of `/v1/events`. */
export interface BitweenEvent {
  id: number;
  type: string;
  time: string;
  hash?: string;
  data: unknown;
}

export interface StreamPosition {
  firstId: number;
  lastId: number;
  missed: number;
  reset: boolean;
}
