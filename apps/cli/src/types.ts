/** The parts of the REST api's answers the CLI shows (see /openapi.json for the whole). */

export interface Torrent {
  hash: string;
  name: string | null;
  size: number | null;
  state: string;
  progress: number;
  done: boolean;
  downloadSpeed: number;
  uploadSpeed: number;
  peers: number;
  savePath: string;
  eta: number | null;
  error: string | null;
}

export interface FriendShare {
  hash: string;
  name: string;
  size: number;
  sources: { jid: string; resource: string; online: boolean }[];
}

export interface Contact {
  jid: string;
  name: string | null;
  subscription: string;
  online: boolean;
  resources: string[];
  shares: number;
}

export interface Pending {
  jid: string;
  receivedAt: number;
}

export interface Added {
  torrent: Torrent;
  created: boolean;
}

export interface Status {
  version: string;
  nats: string;
  xmpp: { online: boolean; jid: string; contacts: number; configured?: boolean } | { error: string };
  engines: EngineStatus[] | { error: string };
  torrents: { total: number };
  events: { firstId: number; lastId: number } | null;
}

export interface Reachability {
  verdict: 'direct' | 'mapped' | 'hole-punching' | 'relay' | 'unreachable' | 'unknown';
  publicAddresses: string[];
  ipv6: string[];
  stun: boolean;
  turn: boolean;
  since: number;
}

export interface PortMapping {
  state: 'off' | 'searching' | 'mapped' | 'unavailable';
  protocol: 'upnp-igd' | 'nat-pmp' | null;
  external: { address: string; port: number } | null;
  internalPort: number | null;
  expiresAt: number | null;
  lastError: string | null;
  since: number;
}

/** One engine of `GET /v1/status`; the last four are null from engines older than them. */
export interface EngineStatus {
  engineId: string;
  endpoints: { address: string; port: number }[];
  torrents: number;
  reachability: Reachability | null;
  portMapping: PortMapping | null;
  connections: { tcpDirect: number; tcpMapped: number; webrtcDirect: number; webrtcRelayed: number } | null;
  admission: { admitted: number; refused: Record<string, number> } | null;
}

export interface Event {
  id: number;
  type: string;
  time: string;
  hash?: string;
  data: unknown;
}

export interface Account {
  configured: boolean;
  source: 'environment' | 'setup' | null;
  jid: string | null;
  online: boolean;
}
