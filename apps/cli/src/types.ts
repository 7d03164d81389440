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
  engines:
    | { engineId: string; endpoints: { address: string; port: number }[]; torrents: number }[]
    | { error: string };
  torrents: { total: number };
  events: { firstId: number; lastId: number } | null;
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
